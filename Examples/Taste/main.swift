// The README's "A taste", compiled and run: `swift run Taste`.
//
// Everything between the two `README taste` markers is the README's code block, character for character
// (`.ci/docs` checks it). Above it are small stand-ins for the app functions the taste calls.
import DeferredKit

// MARK: - Stand-ins for an app's own functions

struct User: Sendable { let id: Int; let name: String; let avatarURL: String }
struct Profile: Sendable { let user: User; let photo: [UInt8] }

/// A callback-world API: returns a Deferred (already complete here; a real one would be pending).
func fetchUser(_ id: Int) -> Deferred<User> {
    let names = [1: "Ada", 2: "Grace", 7: "Barbara"]
    return .resolved(User(id: id, name: names[id] ?? "user \(id)", avatarURL: "https://example.com/\(id).png"))
}

func fetchImage(_ url: String) -> Deferred<[UInt8]> { .resolved(Array(url.utf8.prefix(4))) }

/// An async API that suspends, so the taste can cancel it while it is still running.
func loadProfile(of user: User) async throws -> Profile {
    await Task.yield()
    try Task.checkCancellation()
    return Profile(user: user, photo: [1, 2, 3, 4])
}

func makeThumbnail(_ photo: [UInt8]) -> [UInt8] { Array(photo.prefix(2)) }

/// A completion-handler API, as legacy code has them.
func legacyLoad(_ url: String, completion: @escaping @Sendable (Result<[UInt8], any Error>) -> Void) {
    completion(.success(Array(url.utf8.suffix(3))))
}

// MARK: - README taste

let avatar = fetchUser(7).flatMap { user in fetchImage(user.avatarURL) }
avatar.whenComplete { result in print("avatar:", result) }      // runs as soon as it is known

let profile = Deferred {                                         // async code, started at once
    let user = try await fetchUser(7).value                      // no suspension: already complete
    return try await loadProfile(of: user)
}
let thumbnail = profile.map { makeThumbnail($0.photo) }
thumbnail.cancel()                   // nobody else wants `profile`, so its task is asked to stop
print("thumbnail:", await thumbnail.settled)                     // the body's final outcome

let data = Deferred<[UInt8]>.fromCallback { done in legacyLoad("https://example.com", completion: done) }
let users = try await Deferred.all([fetchUser(1), fetchUser(2)]).value
print(users.map(\.name), try await data.value.count)             // ["Ada", "Grace"] 3

// MARK: - end of README taste
