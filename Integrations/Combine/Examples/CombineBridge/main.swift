// CombineBridge: a Deferred as a publisher, and a publisher's first value as a Deferred, in a file that
// imports Combine (OpenCombine on Linux) and DeferredKit together. `Deferred` below is DeferredKit's: the
// DeferredKitCombine import makes it so; Combine's publisher is spelled `Combine.Deferred`.
//
//     swift run --package-path Integrations/Combine CombineBridge
#if canImport(Combine)
import Combine
#else
import OpenCombine
#endif
import DeferredKitCombine

struct Quote: Sendable { let symbol: String; let price: Int }

/// A callback-world lookup, as a Deferred.
func lookUpQuote(_ symbol: String) -> Deferred<Quote> {
    Deferred.delayed(by: .milliseconds(10)) { Quote(symbol: symbol, price: symbol.count * 100) }
}

/// Runs off the main actor: Combine delivers on whatever thread completes the Deferreds.
func runExample() async throws {
    // Deferred -> Publisher: Combine operators downstream; cancelling would withdraw upstream.
    let bothQuoted = Deferred<Void>()
    let subscription = lookUpQuote("AAPL").publisher
        .zip(lookUpQuote("SWIFT").publisher)
        .map { a, b in [a.price, b.price] }
        .sink(
            receiveCompletion: { completion in print("quotes:", completion); bothQuoted.resolve(()) },
            receiveValue: { print("prices:", $0) })

    // Publisher -> Deferred: the first value (a demand of exactly one), awaited like any Deferred.
    let ticks = PassthroughSubject<Int, Never>()
    let firstBigTick = Deferred(firstValueOf: ticks.filter { $0 > 100 })
    for tick in [50, 150, 200] { ticks.send(tick) }
    print("first tick over 100:", try await firstBigTick.value)

    // An empty publisher is a named error, not a hang.
    if case .failure(let error) = await Deferred(firstValueOf: Empty<Int, Never>()).settled {
        print("empty publisher:", error)
    }

    try await bothQuoted.value
    subscription.cancel()
}

try await runExample()
