// MARK: - The queue model

extension Model {
    /// The documented semantics of `DeferredQueue`, sequentially.
    ///
    /// - `put` hands the element to the oldest waiting get, else buffers it while there is room; on a full
    ///   bounded queue it waits in line for space (first-in first-out). Its Deferred resolves when the
    ///   element is in the queue. `offer` is the immediate form: it throws `DeferredQueueOverflowError`
    ///   instead of waiting.
    /// - `get` takes the oldest buffered element (admitting the oldest waiting put's element into the
    ///   buffer), else the oldest waiting put's element (capacity 0: a rendezvous), else waits in line
    ///   (`DeferredQueueUnderflowError` past `maxPendingGets`).
    /// - Cancelling a waiting get or put takes it out of its line and rejects it with `CancellationError`:
    ///   a get consumes nothing, a put puts nothing. Cancelling a settled one changes nothing.
    /// - `finish()` rejects the waiting gets and puts with `DeferredQueueFinishedError`; later puts are
    ///   refused; later gets take what is buffered, then are rejected.
    /// - The queue's Deferreds are library-owned: completing one from outside is refused.
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
                case .finished: .other("DeferredQueueFinishedError")
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

        enum PutState: Equatable, CustomStringConvertible {
            case waiting
            case accepted
            case cancelled
            case refused

            var outcome: Outcome? {
                switch self {
                case .waiting: nil
                case .accepted: .value(0)
                case .cancelled: .cancelled
                case .refused: .other("DeferredQueueFinishedError")
                }
            }

            var description: String {
                switch self {
                case .waiting: "waiting for space"
                case .accepted: "accepted"
                case .cancelled: "cancelled"
                case .refused: "refused"
                }
            }
        }

        enum OfferOutcome: Equatable {
            case accepted
            case overflow
            case finished
        }

        let capacity: Int?
        let maxPendingGets: Int?
        private(set) var buffer: [Int] = []
        private(set) var getLine: [Int] = []
        private(set) var putLine: [(put: Int, element: Int)] = []
        private(set) var gets: [GetState] = []
        private(set) var puts: [PutState] = []
        private(set) var isFinished = false
        /// Every element the queue accepted.
        private(set) var accepted: [Int] = []

        init(capacity: Int?, maxPendingGets: Int?) {
            self.capacity = capacity
            self.maxPendingGets = maxPendingGets
        }

        private var hasSpace: Bool { capacity.map { buffer.count < $0 } ?? true }

        /// Hands `element` to the oldest waiting get, or buffers it if there is room; `false` when full.
        private mutating func enter(_ element: Int) -> Bool {
            if !getLine.isEmpty {
                gets[getLine.removeFirst()] = .served(element)
            } else if hasSpace {
                buffer.append(element)
            } else {
                return false
            }
            accepted.append(element)
            return true
        }

        /// `put`: its number; it is accepted, waits for space, or is refused by a finished queue.
        mutating func put(_ element: Int) -> Int {
            let put = puts.count
            if isFinished {
                puts.append(.refused)
            } else if enter(element) {
                puts.append(.accepted)
            } else {
                puts.append(.waiting)
                putLine.append((put, element))
            }
            return put
        }

        mutating func offer(_ element: Int) -> OfferOutcome {
            if isFinished { return .finished }
            return enter(element) ? .accepted : .overflow
        }

        /// A get: its number, or `nil` when `maxPendingGets` gets already wait (it throws).
        mutating func get() -> Int? {
            let get = gets.count
            if !buffer.isEmpty {
                gets.append(.served(buffer.removeFirst()))
                if !putLine.isEmpty { admitOldestPut() }
            } else if !putLine.isEmpty {
                let (put, element) = putLine.removeFirst()
                puts[put] = .accepted
                accepted.append(element)
                gets.append(.served(element))
            } else if isFinished {
                gets.append(.finished)
            } else if let maxPendingGets, getLine.count >= maxPendingGets {
                return nil
            } else {
                gets.append(.waiting)
                getLine.append(get)
            }
            return get
        }

        /// Taking a buffered element made room: the oldest waiting put's element enters the buffer.
        private mutating func admitOldestPut() {
            let (put, element) = putLine.removeFirst()
            puts[put] = .accepted
            accepted.append(element)
            buffer.append(element)
        }

        mutating func cancelGet(_ get: Int) {
            guard gets[get] == .waiting else { return }
            gets[get] = .cancelled
            getLine.removeAll { $0 == get }
        }

        mutating func cancelPut(_ put: Int) {
            guard puts[put] == .waiting else { return }
            puts[put] = .cancelled
            putLine.removeAll { $0.put == put }
        }

        mutating func finish() {
            isFinished = true
            for get in getLine { gets[get] = .finished }
            for (put, _) in putLine { puts[put] = .refused }
            getLine = []
            putLine = []
        }

        /// `resolve` from outside on one of the queue's Deferreds: refused, nothing changes.
        func completeFromOutside() -> Bool { false }
    }
}
