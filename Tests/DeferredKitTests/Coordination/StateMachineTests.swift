import Testing
@testable import DeferredKit

extension Coordination {
    /// The pure state machines behind the lock, the semaphore and the queue, driven with plain values:
    /// each transition returns the action its caller must take.
    @Suite struct StateMachineTests {
        // MARK: TokenGateStateMachine

        @Test func gateGrantsFreeTokensThenQueuesWaiters() {
            var gate = TokenGateStateMachine<String>(limit: 2)
            #expect(gate.acquire { _ in "a" } == nil)
            #expect(gate.acquire { _ in "b" } == nil)
            #expect(gate.available == 0)
            #expect(gate.acquire { _ in "c" } == "c")
            #expect(gate.acquire { _ in "d" } == "d")
            #expect(gate.waitingCount == 2)
        }

        @Test func gateReleaseHandsTheTokenStraightToTheOldestWaiter() {
            var gate = TokenGateStateMachine<String>(limit: 1)
            _ = gate.acquire { _ in "holder" }
            _ = gate.acquire { _ in "first" }
            _ = gate.acquire { _ in "second" }
            guard case .handOff("first") = gate.release() else { Issue.record("expected hand-off"); return }
            #expect(gate.available == 0)  // never free in between: nobody can overtake
            guard case .handOff("second") = gate.release() else { Issue.record("expected hand-off"); return }
            guard case .freed = gate.release() else { Issue.record("expected freed"); return }
            #expect(gate.available == 1)
            guard case .notHeld = gate.release() else { Issue.record("expected misuse"); return }
        }

        @Test func gateWithdrawTakesOnlyAWaiterStillInLine() {
            var gate = TokenGateStateMachine<String>(limit: 1)
            _ = gate.acquire { _ in "holder" }
            var tickets: [UInt64] = []
            _ = gate.acquire { ticket in tickets.append(ticket); return "first" }
            _ = gate.acquire { ticket in tickets.append(ticket); return "second" }
            #expect(gate.withdraw(ticket: tickets[1]) == "second")
            guard case .handOff("first") = gate.release() else { Issue.record("expected hand-off"); return }
            #expect(gate.withdraw(ticket: tickets[0]) == nil)  // already picked by release
            #expect(gate.waitingCount == 0)
        }

        // MARK: DeferredQueueStateMachine

        typealias Queue = DeferredQueueStateMachine<Int, String, String>

        @Test func queuePutGoesToTheOldestGetterElseTheBuffer() {
            var queue = Queue(capacity: nil, maxPendingGets: nil)
            guard case .wait("g1") = queue.get(makeGetter: { _ in "g1" }) else { Issue.record("expected wait"); return }
            guard case .handOff(1, to: "g1") = queue.put(1) else { Issue.record("expected hand-off"); return }
            guard case .buffered = queue.put(2) else { Issue.record("expected buffered"); return }
            guard case .element(2, admitted: nil) = queue.get(makeGetter: { _ in "g2" }) else {
                Issue.record("expected element"); return
            }
        }

        @Test func queueFullPutWaitsAndATakeAdmitsIt() {
            var queue = Queue(capacity: 1, maxPendingGets: nil)
            _ = queue.put(1)
            guard case .full = queue.put(2) else { Issue.record("expected full"); return }
            #expect(queue.waitForSpace(2) { _ in "p2" } == "p2")
            guard case .element(1, admitted: "p2") = queue.get(makeGetter: { _ in "g" }) else {
                Issue.record("expected element with admission"); return
            }
            #expect(queue.buffer.count == 1)
            #expect(queue.putters.count == 0)
        }

        @Test func queueWithdrawnPutLeavesNothingBehind() {
            var queue = Queue(capacity: 0, maxPendingGets: nil)
            guard case .full = queue.put(7) else { Issue.record("expected full"); return }
            var ticket: UInt64 = 0
            _ = queue.waitForSpace(7) { t in ticket = t; return "p" }
            #expect(queue.withdrawPutter(ticket: ticket)?.element == 7)
            guard case .wait = queue.get(makeGetter: { _ in "g" }) else { Issue.record("expected wait"); return }
        }

        @Test func queueReturnedElementKeepsItsPlace() {
            var queue = Queue(capacity: 1, maxPendingGets: nil)
            _ = queue.put(2)
            guard case .buffered = queue.returnElement(1) else { Issue.record("expected buffered"); return }
            guard case .element(1, admitted: nil) = queue.get(makeGetter: { _ in "g" }) else {
                Issue.record("expected the returned element first"); return
            }
        }

        @Test func queueFinishHandsBackBothLines() {
            var queue = Queue(capacity: 0, maxPendingGets: 1)
            _ = queue.get(makeGetter: { _ in "g" })
            guard case .tooManyGets(limit: 1) = queue.get(makeGetter: { _ in "g2" }) else {
                Issue.record("expected the limit"); return
            }
            let (getters, putters) = queue.finish()
            #expect(getters == ["g"])
            #expect(putters.isEmpty)
            guard case .finished = queue.put(1) else { Issue.record("expected finished"); return }
            guard case .finished = queue.get(makeGetter: { _ in "g3" }) else { Issue.record("expected finished"); return }
        }
    }
}
