import Testing
@testable import DeferredKit

@Suite("Observing values, errors, and on an actor")
struct IsolatedObservingTests {
    @Test func whenSuccessAndWhenFailureSeeOnlyTheirSide() {
        let values = Recorder<Int>()
        let errors = Recorder<Int>()
        let good = Deferred<Int>()
        let bad = Deferred<Int>()
        for d in [good, bad] {
            d.whenSuccess { values.append($0) }
            d.whenFailure { errors.append(($0 as? TestError)?.id ?? -1) }
        }
        good.resolve(3)
        bad.reject(TestError(8))
        #expect(values.all == [3])
        #expect(errors.all == [8])
    }

    @MainActor
    final class Model {
        var seen: [String] = []
        func observe(_ d: Deferred<String>) {
            // The observer changes main-actor state directly: no Task, no MainActor.run.
            d.whenComplete(on: MainActor.shared) { result in self.seen.append((try? result.get()) ?? "error") }
        }
    }

    @MainActor
    @Test func anAlreadyCompleteDeferredRunsTheObserverBeforeTheCallReturns() {
        let model = Model()
        model.observe(.resolved("now"))
        #expect(model.seen == ["now"])
    }

    @MainActor
    @Test func completingOnTheObserversActorRunsItSynchronously() {
        let model = Model()
        let d = Deferred<String>()
        model.observe(d)
        d.resolve("same actor")
        #expect(model.seen == ["same actor"])
    }

    @MainActor
    @Test func completingElsewhereEnqueuesTheObserverOnItsActor() async {
        let model = Model()
        let d = Deferred<String>()
        model.observe(d)
        await Task.detached { _ = d.resolve("elsewhere") }.value
        while model.seen.isEmpty { await Task.yield() }
        #expect(model.seen == ["elsewhere"])
    }

    actor Counter {
        var total = 0
        func observe(_ d: Deferred<Int>) {
            d.whenSuccess(on: self) { value in self.total += value }
            d.whenFailure(on: self) { _ in self.total = -1 }
        }
        func read() -> Int { total }
    }

    @Test func anActorObservesOnItself() async {
        let counter = Counter()
        let d = Deferred<Int>()
        await counter.observe(d)
        d.resolve(5)
        while await counter.read() == 0 { await Task.yield() }
        #expect(await counter.read() == 5)
    }

    // MARK: Identity and description

    @Test func deferredsAreEqualByIdentity() {
        let a = Deferred.resolved(1)
        let b = Deferred.resolved(1)
        #expect(a == a)
        #expect(a != b)
        #expect(Set([a, b, a]).count == 2)
    }

    @Test func theDescriptionShowsStateSiteAndDependents() {
        let line = #line + 1
        let d = Deferred<Int>()
        _ = d.map { $0 }
        d.whenComplete { _ in }
        #expect(d.description == "Deferred<Int>(pending, created at DeferredKitTests/IsolatedObservingTests.swift:\(line), 2 dependents (one permanent))")
        d.resolve(4)
        #expect(d.description.hasPrefix("Deferred<Int>(resolved: 4, created at "))
        #expect(d.debugDescription.hasPrefix(d.description + " #"))
        let failed = Deferred<Int>.rejected(TestError(2))
        #expect(failed.description.hasPrefix("Deferred<Int>(rejected: TestError(id: 2)"))
        _ = failed.result
    }
}
