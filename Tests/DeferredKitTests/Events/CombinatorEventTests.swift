import Testing
@testable import DeferredKit

@Suite struct CombinatorEventTests {
    @Test func allForwardsItsInputsProgressWithTheInputIndex() throws {
        let downloads = [Deferred<Int>(), Deferred<Int>(), Deferred<Int>()]
        let all = Deferred.all(downloads)
        let log = EventLog()
        all.onEvent { log.append("\($0)") }
        downloads[1].emitProgress(completed: 1, total: 2)
        downloads[0].emitProgress(completed: 2, total: 2)
        downloads[0].resolve(0)
        downloads[0].emitProgress(completed: 3, total: 3)   // after its completion: dropped
        #expect(log.all == ["input[1].progress(1/2)", "input[0].progress(2/2)"])
    }

    @Test func allSettledRaceAndSomeForwardEventsToo() throws {
        let inputs = [Deferred<Int>(), Deferred<Int>()]
        let log = EventLog()
        Deferred.allSettled(inputs).onEvent { log.append("settled \($0)") }
        Deferred.race(inputs).onEvent { log.append("race \($0)") }
        Deferred.firstSuccesses(inputs, count: 2).onEvent { log.append("some \($0)") }
        inputs[1].emit(.named("tick", payload: 1))
        #expect(log.all == ["settled input[1].tick(1)", "race input[1].tick(1)", "some input[1].tick(1)"])
    }

    @Test func variadicAllForwardsEventsOfInputsOfDifferentTypes() throws {
        let user = Deferred<String>()
        let avatar = Deferred<[UInt8]>()
        let both = Deferred.all(user, avatar)
        let log = EventLog()
        both.onEvent { log.append("\($0)") }
        avatar.emitProgress(completed: 10, total: 100)
        user.emitProgress(completed: 1, total: 1)
        #expect(log.all == ["input[1].progress(10/100)", "input[0].progress(1/1)"])
    }

    @Test func eventsStopWhenTheCombinationCompletes() throws {
        let inputs = [Deferred<Int>(), Deferred<Int>()]
        let race = Deferred.race(inputs)
        let log = EventLog()
        race.onEvent { log.append("\($0)") }
        inputs[0].resolve(1)
        inputs[1].emitProgress(completed: 1, total: 1)
        #expect(log.all.isEmpty)
        #expect(try race.result?.get().value == 1)
    }
}
