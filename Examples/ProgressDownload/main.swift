// "Promises should let you send more than success and failure": a download whose Deferred emits
// progress events, drawn as a progress bar by one observer and consumed as an AsyncSequence by another.
// The transfer runs on a ManualClock, one chunk per 100 ms.
import DeferredKit

let clock = ManualClock()

func download(size: Int, chunk: Int) -> Deferred<[UInt8]> {
    let result = Deferred<[UInt8]>()
    @Sendable func receive(_ received: Int) {
        result.emitProgress(completed: received, total: size)
        if received >= size {
            result.resolve([UInt8](repeating: 7, count: size))
            return
        }
        Deferred<Void>.sleep(for: .milliseconds(100), clock: clock).whenComplete { _ in
            receive(min(received + chunk, size))
        }
    }
    Deferred<Void>.sleep(for: .milliseconds(100), clock: clock).whenComplete { _ in receive(0) }
    return result
}

func bar(_ fraction: Double) -> String {
    let filled = Int(fraction * 30)
    return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled) + "]"
}

let file = download(size: 10_000, chunk: 1_500)
file.onEvent { event in
    if let fraction = event.fractionCompleted {
        print("\(bar(fraction)) \(Int(fraction * 100))%")
    }
}
let events = file.events()   // a second observer, as an AsyncSequence that finishes at completion

while !file.isComplete { clock.advance(by: .milliseconds(100)) }
print("downloaded \(try await file.value.count) bytes")

var count = 0
for await _ in events { count += 1 }
print("the events sequence delivered \(count) progress events and finished with the download")

