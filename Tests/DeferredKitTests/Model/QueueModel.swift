// MARK: - The queue model

extension Model {
    /// The documented semantics of `DeferredQueue`, sequentially.
    ///
    /// - `put` hands the element to the oldest waiting get, or buffers it (`QueueOverflow` past `size`).
    /// - `get` takes the oldest buffered element at once, or waits in line (`QueueUnderflow` past
    ///   `backlog`); gets are served first-in first-out.
    /// - Cancelling a waiting get takes it out of the line and rejects it with `CancellationError`; it
    ///   consumes nothing. Cancelling a served get changes nothing.
    /// - `finish()` rejects the waiting gets with `QueueFinished`; later puts throw it; later gets take
    ///   what is buffered, then are rejected with it.
    /// - A waiting get's Deferred is library-owned: completing it from outside is refused.
    struct QueueModel {
        enum GetState: Equatable, CustomStringConvertible {
            case waiting
            case served(Int)
            case cancelled
            case finished

            var outcome: Outcome? {
                switch self {
                case .waiting: nil
                case .served(let element): .value(element)
                case .cancelled: .cancelled
                case .finished: .other("QueueFinished")
                }
            }

            var description: String {
                switch self {
                case .waiting: "waiting"
                case .served(let element): "served \(element)"
                case .cancelled: "cancelled"
                case .finished: "finished"
                }
            }
        }

        enum PutOutcome: Equatable {
            case handedTo(Int)
            case buffered
            case overflow
            case finished
        }

        let size: Int?
        let backlog: Int?
        private(set) var buffer: [Int] = []
        private(set) var line: [Int] = []
        private(set) var gets: [GetState] = []
        private(set) var isFinished = false
        /// Every element a put accepted.
        private(set) var accepted: [Int] = []

        init(size: Int?, backlog: Int?) {
            self.size = size
            self.backlog = backlog
        }

        mutating func put(_ element: Int) -> PutOutcome {
            if isFinished { return .finished }
            if !line.isEmpty {
                let get = line.removeFirst()
                gets[get] = .served(element)
                accepted.append(element)
                return .handedTo(get)
            }
            if let size, buffer.count >= size { return .overflow }
            buffer.append(element)
            accepted.append(element)
            return .buffered
        }

        /// A get: its number, or `nil` when the backlog is full (the get throws `QueueUnderflow`).
        mutating func get() -> Int? {
            let get = gets.count
            if !buffer.isEmpty {
                gets.append(.served(buffer.removeFirst()))
            } else if isFinished {
                gets.append(.finished)
            } else if let backlog, line.count >= backlog {
                return nil
            } else {
                gets.append(.waiting)
                line.append(get)
            }
            return get
        }

        mutating func cancel(_ get: Int) {
            guard gets[get] == .waiting else { return }
            gets[get] = .cancelled
            line.removeAll { $0 == get }
        }

        mutating func finish() {
            isFinished = true
            for get in line { gets[get] = .finished }
            line = []
        }

        /// `resolve` from outside on a get's Deferred: refused, nothing changes.
        func completeFromOutside(_ get: Int) -> Bool { false }
    }
}
