import Testing
@testable import DeferredKit

extension Coordination {
    @Suite struct DeferredMemoizerTests {
        @Test func concurrentCallsWithSameKeyShareOneInFlightCall() throws {
            let calls = Shared(0)
            let work = Deferred<Int>()
            let f = DeferredMemoizer { (key: String) -> Deferred<Int> in
                calls.update { $0 += 1 }
                return work
            }
            let a = f("x"), b = f("x")
            #expect(calls.value == 1)
            #expect(a !== b)  // each caller has its own Deferred
            work.resolve(3)
            #expect(try a.result?.get() == 3)
            #expect(try b.result?.get() == 3)
        }

        @Test func differentKeysCallSeparately() {
            let calls = Shared<[Int]>([])
            let f = DeferredMemoizer { (key: Int) -> Deferred<Int> in calls.append(key); return .resolved(key) }
            _ = f(1); _ = f(2); _ = f(1)
            #expect(calls.value == [1, 2])
        }

        @Test func successIsCached() throws {
            let calls = Shared(0)
            let f = DeferredMemoizer { (key: Int) -> Deferred<Int> in calls.update { $0 += 1 }; return .resolved(key * 2) }
            #expect(try f(4).result?.get() == 8)
            #expect(try f(4).result?.get() == 8)
            #expect(calls.value == 1)
            #expect(f.count == 1)
        }

        @Test func failuresAreNotCachedByDefault() throws {
            let calls = Shared(0)
            let f = DeferredMemoizer { (key: Int) -> Deferred<Int> in
                let n = calls.update { $0 += 1; return $0 }
                return n == 1 ? .rejected(TestError(code: n)) : .resolved(n)
            }
            #expect(throws: TestError(code: 1)) { try f(0).result?.get() }
            #expect(try f(0).result?.get() == 2)
            #expect(calls.value == 2)
        }

        @Test func thrownErrorsAreNotCached() throws {
            let calls = Shared(0)
            let f = DeferredMemoizer { (key: Int) throws -> Deferred<Int> in
                if calls.update({ $0 += 1; return $0 }) == 1 { throw TestError() }
                return .resolved(1)
            }
            #expect(throws: TestError.self) { try f(0).result?.get() }
            #expect(try f(0).result?.get() == 1)
        }

        @Test func failuresAreCachedWhenAsked() {
            let calls = Shared(0)
            let f = DeferredMemoizer(cachingFailures: true) { (key: Int) -> Deferred<Int> in
                calls.update { $0 += 1 }
                return .rejected(TestError())
            }
            #expect(throws: TestError.self) { try f(0).result?.get() }
            #expect(throws: TestError.self) { try f(0).result?.get() }
            #expect(calls.value == 1)
        }

        @Test func clearForgetsCachedResults() {
            let calls = Shared(0)
            let f = DeferredMemoizer { (key: Int) -> Deferred<Int> in calls.update { $0 += 1 }; return .resolved(key) }
            _ = f(1); _ = f(2)
            f.clear(1)
            _ = f(1); _ = f(2)
            #expect(calls.value == 3)
            f.clear()
            #expect(f.count == 0)
            _ = f(2)
            #expect(calls.value == 4)
        }

        @Test func cancellingOneCallerDoesNotCancelSharedWork() throws {
            let work = Deferred<Int>()
            let f = DeferredMemoizer { (_: Int) in work }
            let a = f(0), b = f(0)
            a.cancel()
            #expect(!work.isComplete)
            if case .failure(let error)? = a.result { #expect(error is CancellationError) } else { Issue.record("not cancelled") }
            work.resolve(9)
            #expect(try b.result?.get() == 9)
        }

        @Test func cancellingEveryCallerCancelsWorkAndEvictsIt() throws {
            let cancelled = Shared(0)
            let calls = Shared(0)
            let producing = Shared<[Deferred<Int>]>([])  // the producer holds its Deferred, as real work does
            let f = DeferredMemoizer { (_: Int) -> Deferred<Int> in
                calls.update { $0 += 1 }
                let work = Deferred<Int> { _ in cancelled.update { $0 += 1 } }
                producing.update { $0.append(work) }
                return work
            }
            let a = f(0), b = f(0)
            a.cancel()
            b.cancel()
            #expect(cancelled.value == 1)
            #expect(f.count == 0)
            _ = f(0)
            #expect(calls.value == 2)
        }

        @Test func asyncFunctionSharesOneCall() async throws {
            let calls = Shared(0)
            let gate = Deferred<Int>()
            let f = DeferredMemoizer { (key: Int) async throws -> Int in
                calls.update { $0 += 1 }
                return try await gate.value + key
            }
            let a = f(1), b = f(1)
            gate.resolve(10)
            #expect(try await a.value == 11)
            #expect(try await f.value(for: 1) == 11)
            #expect(try await b.value == 11)
            #expect(calls.value == 1)
        }
    }
}
