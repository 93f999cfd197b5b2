// MARK: - The name `Deferred` in files that import Combine

// Combine (and OpenCombine) has a `Deferred` publisher of its own, so a file that imports both Combine
// and DeferredKit finds two `Deferred`s. A scoped import shadows whole-module imports, and a re-exported
// one does too: every file that imports DeferredKitCombine therefore reads `Deferred` as DeferredKit's,
// with no ambiguity, and reaches Combine's publisher as `Combine.Deferred`. DeferredKit is re-exported
// whole, so that such a file needs no `import DeferredKit` of its own.
@_exported import DeferredKit
@_exported import class DeferredKit.Deferred
