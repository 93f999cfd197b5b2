@testable import DeferredKit
import Testing

/// The group's transitions, one at a time, without any Deferred completing.
@Suite("Groups: state machine")
struct GroupsStateMachineTests {
    typealias Machine = DeferredGroupStateMachine<Int>

    @Test func addReservesTheNextIndexInTheSameStepAsTheOpenCheck() {
        var machine = Machine()
        let a = Deferred<Int>(), b = Deferred<Int>()
        #expect(machine.add(a).index == 0)
        #expect(machine.add(b).index == 1)
        #expect(machine.added == 2)
    }

    @Test func addOrderWaitsForTheEarlierInput() {
        var machine = Machine()
        let inputs = (0..<3).map { _ in Deferred<Int>() }
        for input in inputs { _ = machine.add(input) }
        _ = machine.read(as: .results(inAddOrder: true))
        #expect(machine.receive(.success(20), at: 2).results.isEmpty)
        #expect(machine.receive(.success(10), at: 1).results.isEmpty)
        let first = machine.receive(.success(0), at: 0)
        #expect(first.results.compactMap { try? $0.get() } == [0, 10, 20])
        #expect(first.tookDeliveryTurn)
        #expect(first.end == nil)   // not finished
        let finished = machine.finish(throwing: nil)
        #expect(finished.results.isEmpty && finished.end == nil)   // the deliverer holds the turn
        let next = machine.delivered()
        #expect(next.end != nil)
    }

    @Test func oneDelivererAtATime() {
        var machine = Machine()
        let inputs = (0..<2).map { _ in Deferred<Int>() }
        for input in inputs { _ = machine.add(input) }
        _ = machine.read(as: .results(inAddOrder: false))
        let first = machine.receive(.success(1), at: 0)
        let second = machine.receive(.success(2), at: 1)
        #expect(first.tookDeliveryTurn && !second.tookDeliveryTurn)
        #expect(second.results.isEmpty)
        #expect(machine.delivered().results.compactMap { try? $0.get() } == [2])
    }

    @Test func aDecidedValuesReadingWithdrawsAndReleasesItsValues() {
        var machine = Machine()
        let output = Deferred<[Int]>()
        let pending = Deferred<Int>()
        _ = machine.add(Deferred<Int>())
        _ = machine.add(pending)
        _ = machine.read(as: .values(output))
        _ = machine.receive(.success(1), at: 0)
        let failed = machine.receive(.failure(TestError(1)), at: 1)
        #expect(failed.valuesDecision != nil)
        #expect(failed.withdrawals.isEmpty)   // nothing else pending
        #expect(!failed.leftovers.isEmpty)    // the stored value leaves the state, to be freed unlocked
    }

    @Test func aResultAfterTheInputWasSettledIsIgnored() {
        var machine = Machine()
        _ = machine.add(Deferred<Int>())
        _ = machine.read(as: .results(inAddOrder: false))
        _ = machine.receive(.success(1), at: 0)
        let again = machine.receive(.failure(CancellationError()), at: 0)
        #expect(again.results.isEmpty)
    }
}
