import Testing
@testable import DeferredKit

extension Coordination {
    @Suite struct DeferredDictionaryTests {
        @Test func presentKeyGivesCompletedDeferred() throws {
            let dictionary = DeferredDictionary<String, Int>(["a": 1])
            #expect(try dictionary["a"].result?.get() == 1)
        }

        @Test func missingKeyCompletesWhenSet() throws {
            let dictionary = DeferredDictionary<String, Int>()
            let later = dictionary["b"]
            #expect(!later.isComplete)
            dictionary.updateValue(2, forKey: "b")
            #expect(try later.result?.get() == 2)
            #expect(dictionary.currentValue(for: "b") == 2)
        }

        @Test func settingKeyCompletesEveryWaiterInOrder() {
            let dictionary = DeferredDictionary<Int, String>()
            let order = Shared<[Int]>([])
            for i in 0..<3 { dictionary[7].whenComplete { _ in order.append(i) } }
            #expect(dictionary.waitingCount(for: 7) == 3)
            dictionary.updateValue("x", forKey: 7)
            #expect(order.value == [0, 1, 2])
            #expect(dictionary.waitingCount(for: 7) == 0)
        }

        @Test func settingOtherKeyCompletesNothing() {
            let dictionary = DeferredDictionary<Int, Int>()
            let waiting = dictionary[1]
            dictionary.updateValue(2, forKey: 2)
            #expect(!waiting.isComplete)
        }

        @Test func removingWorksAsForADictionary() {
            let dictionary = DeferredDictionary<String, Int>(["a": 1])
            #expect(dictionary.removeValue(forKey: "a") == 1)
            #expect(dictionary.removeValue(forKey: "a") == nil)
            #expect(dictionary.count == 0)
            #expect(!dictionary["a"].isComplete)  // absent again: waits
            #expect(dictionary.updateValue(3, forKey: "a") == nil)
            #expect(dictionary.updateValue(4, forKey: "a") == 3)
            #expect(dictionary.keys == ["a"])
        }

        @Test func cancellingWaiterRemovesJustThatWaiter() throws {
            let dictionary = DeferredDictionary<String, Int>()
            let first = dictionary["k"]
            let second = dictionary["k"]
            first.cancel()
            #expect(dictionary.waitingCount(for: "k") == 1)
            if case .failure(let error)? = first.result { #expect(error is CancellationError) } else { Issue.record("not cancelled") }
            dictionary.updateValue(5, forKey: "k")
            #expect(try second.result?.get() == 5)
        }

        @Test func staleCancellerDoesNotRemoveANewWaiter() throws {
            let dictionary = DeferredDictionary<String, Int>()
            let old = dictionary["k"]
            let dependent = old.map { $0 }
            dictionary.updateValue(1, forKey: "k")
            dictionary.removeValue(forKey: "k")
            let fresh = dictionary["k"]  // a new line for "k", whose tickets start again
            dependent.cancel()            // old is complete: nothing happens
            #expect(dictionary.waitingCount(for: "k") == 1)
            dictionary.updateValue(2, forKey: "k")
            #expect(try fresh.result?.get() == 2)
        }

        @Test func valueForAwaitsTheKey() async throws {
            let dictionary = DeferredDictionary<String, Int>()
            let reader = Task { try await dictionary.value(for: "k") }
            await eventually { dictionary.waitingCount(for: "k") == 1 }
            dictionary.updateValue(8, forKey: "k")
            #expect(try await reader.value == 8)
        }
    }
}
