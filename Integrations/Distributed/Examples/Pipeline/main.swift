// A fan-out/fan-in pipeline of durable promises: fetch some images, make a thumbnail of each (`then`),
// stand in a placeholder for the one that fails (`recover`), gather them (`all`) and lay out a contact
// sheet (`then`). Every step can run in a different process; here two workers share them.
//
//   Scripts/with-postgres swift run Pipeline
import DeferredKitDistributed
import Foundation
import Logging
import ServiceLifecycle

// MARK: - The steps

struct Image: Codable, Sendable {
    var name: String
    var width: Int
    var height: Int
}

struct ImageMissing: Error, CustomStringConvertible {
    var name: String
    var description: String { "no image called \(name)" }
}

/// "Downloads" an image: the names ending in `.missing` fail.
struct Fetch: DistributedHandler {
    static let name = "example.fetch.v1"

    func run(_ name: String, context: DistributedContext) async throws -> Image {
        guard !name.hasSuffix(".missing") else { throw ImageMissing(name: name) }
        return Image(name: name, width: 4_000 + name.count * 10, height: 3_000)
    }
}

/// Scales an image down to 200 pixels wide.
struct Thumbnail: DistributedHandler {
    static let name = "example.thumbnail.v1"

    func run(_ image: Image, context: DistributedContext) async throws -> Image {
        Image(name: "thumb-" + image.name, width: 200, height: image.height * 200 / image.width)
    }
}

/// Turns any failure upstream into a grey placeholder thumbnail.
struct Placeholder: DistributedHandler {
    static let name = "example.placeholder.v1"

    func run(_ failure: DistributedFailure, context: DistributedContext) async throws -> Image {
        Image(name: "placeholder(\(failure.message))", width: 200, height: 150)
    }
}

struct ContactSheet: DistributedHandler {
    static let name = "example.contact-sheet.v1"

    func run(_ thumbnails: [Image], context: DistributedContext) async throws -> String {
        thumbnails.map { "\($0.name) \($0.width)x\($0.height)" }.joined(separator: "\n")
    }
}

// MARK: - Running it

var logger = Logger(label: "Pipeline")
logger.logLevel = .warning
let store = PromiseStore(settings: try .fromEnvironment(), logger: logger, pollInterval: .milliseconds(200))
let handlers: [any DistributedHandler] = [Fetch(), Thumbnail(), Placeholder(), ContactSheet()]
let services: [any Service] = [store, DistributedSweeper(store: store)]
    + (1...2).map { DistributedWorker(store: store, handlers: handlers, name: "pipeline-worker-\($0)") }

try await withThrowingTaskGroup(of: Void.self) { group in
    for service in services { group.addTask { try await service.run() } }
    try await store.installSchema()

    let run = "sheet-\(UUID().uuidString.prefix(8))"
    let names = ["harbour.jpg", "lighthouse.jpg", "storm.missing", "gulls.jpg"]
    let sheet = try await store.submit { graph in
        let thumbnails = try names.map { name in
            let image = try graph.call(Fetch.self, id: "\(run)/fetch/\(name)", input: name)
            let thumbnail = graph.then(image, Thumbnail.self, id: "\(run)/thumbnail/\(name)")   // skipped if the fetch failed
            return graph.recover(thumbnail, Placeholder.self, id: "\(run)/safe/\(name)")
        }
        return graph.then(graph.all(thumbnails, id: "\(run)/all"), ContactSheet.self, id: "\(run)/sheet")
    }
    print(try await sheet.value(in: store))
    group.cancelAll()
}
