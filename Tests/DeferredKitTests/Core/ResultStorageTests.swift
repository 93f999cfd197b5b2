import Testing
@testable import DeferredKit

/// The result slot holds a small value inline, a larger one in a box, or the error; each must read back
/// intact and be released with the Deferred.
@Suite("Result storage")
struct ResultStorageTests {
    final class Token: Sendable {}

    struct Small: Sendable { let token: Token; let n: Int }                     // 16 bytes: inline
    struct Large: Sendable { let token: Token; let a, b, c: Int }               // 32 bytes: boxed
    struct Failure: Error { let token: Token }

    @Test func smallValuesAreStoredInlineAndReleasedWithTheDeferred() {
        #expect(Deferred<Small>.storesValueInline)
        weak var weakToken: Token?
        do {
            let token = Token()
            weakToken = token
            let d = Deferred<Small>()
            d.resolve(Small(token: token, n: 7))
            #expect(d.result?.successValue?.n == 7)
            #expect(d.result?.successValue?.token === token)
        }
        #expect(weakToken == nil)
    }

    @Test func largeValuesAreBoxedAndReleasedWithTheDeferred() {
        #expect(!Deferred<Large>.storesValueInline)
        weak var weakToken: Token?
        do {
            let token = Token()
            weakToken = token
            let d = Deferred.resolved(Large(token: token, a: 1, b: 2, c: 3))
            let m = d.map { $0.a + $0.b + $0.c }
            #expect(m.result?.successValue == 6)
            #expect(d.result?.successValue?.token === token)
        }
        #expect(weakToken == nil)
    }

    @Test func errorsAreStoredInTheSameSlotAndReleasedWithTheDeferred() {
        weak var weakToken: Token?
        do {
            let token = Token()
            weakToken = token
            let d = Deferred<Large>()
            d.reject(Failure(token: token))
            #expect((d.result?.failureError as? Failure)?.token === token)
        }
        #expect(weakToken == nil)
    }

    @Test func heapAllocatedStringsSurviveTheSlot() async throws {
        let d = Deferred<String>()
        let long = String(repeating: "deferred ", count: 20)
        d.resolve(long)
        #expect(try await d.value == long)
        #expect(d.map { $0.count }.result?.successValue == long.count)
    }
}
