// LoggedDiagnostics: DeferredKit's diagnostics sent to a swift-log Logger with one call.
//
//     swift run --package-path Integrations/Logging LoggedDiagnostics
import DeferredKit
import DeferredKitLogging
import Logging

struct UploadError: Error { let status: Int }

LoggingSystem.bootstrap(StreamLogHandler.standardOutput)
DeferredDiagnostics.log(to: Logger(label: "example.deferred"))

// A rejection nobody observes: a warning with the creation site, once the Deferred is freed.
do { _ = Deferred<Void>.rejected(UploadError(status: 507)) }

// A second completion: an error with both completion sites.
let upload = Deferred<Int>()
upload.resolve(200)
upload.resolve(500)

// A producer that drops its pending Deferred: a warning, and its dependent gets DeferredAbandonedError.
var producer: Deferred<Int>? = Deferred<Int>()
let waiting = producer!.map { $0 * 2 }
producer = nil
print("the dependent:", waiting.result.map { "\($0)" } ?? "pending")
