// MARK: - ResultChannel

/// The buffer behind `QueueFuture` and `SerialQueueFuture`: a FIFO of entries (Deferreds whose results
/// the consumer awaits in turn), waiting takers, and an end — finished, or failed with an error that
/// surfaces after the remaining entries.
///
/// A taker is a pending `Deferred`, so a consumer task that is cancelled while waiting withdraws from it;
/// its canceller removes it from `takers`, and an entry handed to a taker that was cancelled meanwhile
/// goes back to the head of the buffer — no entry is lost or reordered.
@usableFromInline
final class ResultChannel<Value: Sendable>: @unchecked Sendable {
    @usableFromInline
    enum End {
        case finished
        case failed(any Error)
    }

    // Every stored property below is guarded by `lock`.
    @usableFromInline let lock = InternalLock()
    @usableFromInline var entries: [Deferred<Value>] = []
    @usableFromInline var head = 0
    @usableFromInline var takers: [Deferred<Deferred<Value>?>] = []
    @usableFromInline var end: End?

    @usableFromInline init() {}

    /// Hands `entry` to the oldest taker, or buffers it. After the end, new entries are dropped.
    @usableFromInline
    func push(_ entry: Deferred<Value>) {
        var atHead = false
        while true {
            let taker = lock.withLock { () -> Deferred<Deferred<Value>?>? in
                if end != nil, !atHead { return nil }
                if takers.isEmpty {
                    if atHead, head > 0 {
                        head -= 1
                        entries[head] = entry
                    } else if atHead {
                        entries.insert(entry, at: 0)
                    } else {
                        entries.append(entry)
                    }
                    return nil
                }
                return takers.removeFirst()
            }
            guard let taker else { return }
            if taker.resolve(entry) { return }
            // That taker was cancelled meanwhile: the entry goes back to the head, ahead of later ones.
            atHead = true
        }
    }

    /// Ends the channel: takers beyond the buffered entries get `nil`, or `error`.
    @usableFromInline
    func finish(throwing error: (any Error)? = nil) {
        let waiting = lock.withLock { () -> [Deferred<Deferred<Value>?>] in
            guard end == nil else { return [] }
            end = error.map { .failed($0) } ?? .finished
            defer { takers = [] }
            return takers
        }
        for taker in waiting {
            if let error { taker.reject(error) } else { taker.resolve(nil) }
        }
    }

    /// The next entry: at once if one is buffered or the channel has ended, otherwise a pending Deferred.
    @usableFromInline
    func take() -> Deferred<Deferred<Value>?> {
        let taker = Deferred<Deferred<Value>?> { [self] taker in
            lock.withLock { takers.removeAll { $0 === taker } }
        }
        let immediate = lock.withLock { () -> Result<Deferred<Value>?, any Error>? in
            if head < entries.count {
                let entry = entries[head]
                head += 1
                if head == entries.count {
                    entries.removeAll(keepingCapacity: true)
                    head = 0
                } else if head > 1024, head * 2 > entries.count {
                    entries.removeFirst(head)
                    head = 0
                }
                return .success(entry)
            }
            switch end {
            case .finished?: return .success(nil)
            case .failed(let error)?: return .failure(error)
            case nil:
                takers.append(taker)
                return nil
            }
        }
        if let immediate { taker.complete(with: immediate) }
        return taker
    }
}

// MARK: - ResultChannelIterator

/// The iterator of `QueueFuture` and `SerialQueueFuture`: each element is the result of the next input.
///
/// ```swift
/// var results = queue.makeAsyncIterator()
/// while let result = try await results.next() { print(result) }
/// ```
public struct ResultChannelIterator<Value: Sendable>: AsyncIteratorProtocol {
    @usableFromInline let channel: ResultChannel<Value>

    @usableFromInline
    init(_ channel: ResultChannel<Value>) { self.channel = channel }

    /// The next result, waiting for it if needed; `nil` after `complete()`; throws the `fail(_:)` error
    /// after the remaining results. A cancelled wait throws `CancellationError` and loses no result.
    ///
    /// ```swift
    /// if let first = try await results.next() { print(first) }
    /// ```
    public mutating func next() async throws -> Result<Value, any Error>? {
        guard let entry = try await channel.take().value else { return nil }
        return await entry.settled
    }
}
