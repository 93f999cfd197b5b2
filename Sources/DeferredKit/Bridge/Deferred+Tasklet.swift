// MARK: - Async work as a Deferred

/// Everything here starts work with `Task.immediate`, which needs the OS 26 releases on Apple platforms;
/// the rest of the library needs only `Synchronization` (macOS 15 and aligned releases).
@available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)
extension Deferred {
    /// Starts `body` at once and returns a Deferred for its result — the inlineCallbacks / tasklet form.
    ///
    /// The body runs synchronously, on the caller's isolation, until its first real suspension
    /// (`Task.immediate`). A body that never suspends yields an already-resolved Deferred; one that throws
    /// before suspending yields an already-rejected one — never a trap or a synchronous throw. Awaiting a
    /// completed Deferred inside the body does not suspend.
    ///
    /// `cancel()` cancels the body's task: the Deferred the body awaits is withdrawn from, the body may
    /// catch `CancellationError` and go on, and this Deferred completes with whatever the body finally
    /// returns or throws.
    ///
    /// ```swift
    /// let profile = Deferred {
    ///     let user = try await fetchUser(id).value
    ///     return try await fetchProfile(user).value
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - priority: the priority of the body's task; `nil` inherits the caller's.
    ///   - isolation: the caller's isolation, inherited by default; the body runs on it.
    ///   - file: the creation site reported by diagnostics; leave the default.
    ///   - line: the creation site reported by diagnostics; leave the default.
    ///   - body: the async work; its return value resolves the Deferred, its error rejects it.
    @inlinable
    public convenience init(
        priority: TaskPriority? = nil,
        isolation: isolated (any Actor)? = #isolation,
        file: StaticString = #fileID, line: UInt = #line,
        @_inheritActorContext(always) _ body: sending @escaping @isolated(any) () async throws -> Value
    ) {
        self.init(owned: DeferredCallSite(file, line))
        flags.insert(.awaitsProducer)
        let task = Task.immediate(priority: priority) { [self] in
            _ = isolation  // isolates this closure to the caller, so the body starts without a hop
            do {
                let value = try await body()
                _ = complete(.success(value), at: creationSite)
            } catch {
                _ = complete(.failure(error), at: creationSite)
            }
        }
        let cancelledMeanwhile = lock.withLock { () -> Bool in
            if hasResult { return false }
            rare = DeferredRareParts(cancelAction: .producer { task.cancel() })
            return flags.contains(.cancelRequested)
        }
        // `cancel()` came from the body itself, before the task was known: pass it on now.
        if cancelledMeanwhile { task.cancel() }
    }

    /// A Deferred for the result of `task`; `cancel()` cancels the task, and the Deferred then completes
    /// with whatever the task returns or throws.
    ///
    /// ```swift
    /// let d = Deferred(Task { try await download(url) })
    /// ```
    public convenience init(_ task: Task<Value, any Error>, file: StaticString = #fileID, line: UInt = #line) {
        self.init(owned: DeferredCallSite(file, line))
        flags.insert(.awaitsProducer)
        rare = DeferredRareParts(cancelAction: .producer { task.cancel() })
        Task.immediate { [self] in
            _ = complete(await task.result, at: creationSite)
        }
    }

    /// A Deferred for the value of a task that cannot fail; `cancel()` cancels the task, and the Deferred
    /// then completes with whatever the task returns.
    ///
    /// ```swift
    /// let count = Deferred(Task { await index.count() })
    /// ```
    public convenience init(_ task: Task<Value, Never>, file: StaticString = #fileID, line: UInt = #line) {
        self.init(owned: DeferredCallSite(file, line))
        flags.insert(.awaitsProducer)
        rare = DeferredRareParts(cancelAction: .producer { task.cancel() })
        Task.immediate { [self] in
            _ = completeAsOwner(.success(await task.value))
        }
    }
}
