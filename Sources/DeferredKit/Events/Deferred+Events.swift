// MARK: - Emitting events

extension Deferred {
    /// Sends `event` to this Deferred's event observers (`onEvent`, `events`), if it is pending.
    ///
    /// Events never affect the result. They are delivered synchronously, in the order emitted, outside
    /// every lock — unless another thread is delivering this Deferred's events at that moment, in which
    /// case that thread delivers this one too, right after. Events emitted with nobody listening are
    /// dropped, as are events after completion.
    ///
    /// ```swift
    /// let download = Deferred<Data>()
    /// download.emit(.progress(completed: 4096, total: 10_000))
    /// ```
    public func emit(_ event: DeferredEvent) {
        eventChannel()?.emit(event)
    }

    /// Reports progress: emits `.progress(completed:total:)`.
    ///
    /// ```swift
    /// upload.emitProgress(completed: sent, total: size)
    /// ```
    public func emitProgress(completed: Int, total: Int?) {
        emit(.progress(completed: completed, total: total))
    }

    // MARK: Observing events

    /// Calls `observer` with every event emitted from now until the Deferred completes. Does nothing
    /// on a completed Deferred. Observing events expresses no interest: it neither keeps the Deferred
    /// from being cancelled nor changes its result.
    ///
    /// ```swift
    /// download.onEvent { event in if let f = event.fractionCompleted { bar.value = f } }
    /// ```
    public func onEvent(_ observer: @escaping @Sendable (DeferredEvent) -> Void) {
        _ = subscribe(observer, onClose: nil)
    }

    /// Calls `observer` with the numbers of every progress event (of this Deferred itself, not of a
    /// combinator's inputs) until the Deferred completes.
    ///
    /// ```swift
    /// download.onProgress { done, total in print("\(done) of \(total ?? 0) bytes") }
    /// ```
    public func onProgress(_ observer: @escaping @Sendable (_ completed: Int, _ total: Int?) -> Void) {
        onEvent { event in
            if case .progress(let completed, let total) = event { observer(completed, total) }
        }
    }

    /// The events emitted from now on, as an async sequence that finishes when the Deferred completes
    /// (at once on a completed Deferred). Each access is a new sequence; events are buffered without bound.
    ///
    /// ```swift
    /// for await event in download.events { print(event) }
    /// ```
    public func events() -> AsyncStream<DeferredEvent> {
        let (stream, continuation) = AsyncStream<DeferredEvent>.makeStream()
        let id = subscribe({ event in continuation.yield(event) }, onClose: { continuation.finish() })
        if let id {
            let channel = eventChannel()
            continuation.onTermination = { _ in channel?.unsubscribe(id) }
        } else {
            continuation.finish()
        }
        return stream
    }

    /// Subscribes to this Deferred's channel; `nil` when it is complete.
    private func subscribe(
        _ onEvent: @escaping EventChannel.Subscriber, onClose: (@Sendable () -> Void)?
    ) -> UInt64? {
        if isComplete { return nil }
        let channel = makeEventChannel()
        guard let (id, mustWatch, forwarders) = channel.subscribe(onEvent, onClose: onClose) else { return nil }
        if mustWatch {
            watchCompletion { channel.close() }
        }
        for install in forwarders { install() }
        return id
    }
}

// MARK: - The channel

extension Deferred {
    /// The event channel, if anybody asked for one.
    func eventChannel() -> EventChannel? {
        lock.withLock { rare?.events }
    }

    /// The event channel, created on first use in the Deferred's rare parts.
    func makeEventChannel() -> EventChannel {
        lock.withLock {
            if rare == nil { rare = DeferredRareParts() }
            if let channel = rare!.events { return channel }
            let channel = EventChannel()
            rare!.events = channel
            return channel
        }
    }
}
