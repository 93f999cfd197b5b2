import Foundation
import Logging
import NIOCore
import PostgresNIO

// MARK: - PostgresSettings

/// Where the database is and who to connect as.
///
/// ```swift
/// let settings = try PostgresSettings.fromEnvironment()   // what Scripts/with-postgres exports
/// ```
public struct PostgresSettings: Sendable, Hashable {
    public enum Endpoint: Sendable, Hashable {
        /// The path of the server's socket file, e.g. `/tmp/x/.s.PGSQL.5432`.
        case unixSocket(path: String)
        case tcp(host: String, port: Int)
    }

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String
    /// Connections in the pool of each `PromiseStore` (the listener and the sweeper hold one more each).
    public var maximumConnections: Int

    public init(endpoint: Endpoint, username: String, password: String? = nil, database: String,
                maximumConnections: Int = 12) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.maximumConnections = maximumConnections
    }

    /// Reads `DK_PG_SOCKET` (or `DK_PG_HOST` and `DK_PG_PORT`), `DK_PG_USER`, `DK_PG_PASSWORD` and
    /// `DK_PG_DATABASE`, as exported by `Scripts/with-postgres`.
    ///
    /// - Throws: `DistributedError.missingEnvironment` naming the first variable that is missing, so a
    ///   test run outside the script fails loudly instead of skipping.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> PostgresSettings
    {
        func required(_ name: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else { throw DistributedError.missingEnvironment(name) }
            return value
        }
        let endpoint: Endpoint
        if let socket = environment["DK_PG_SOCKET"], !socket.isEmpty {
            endpoint = .unixSocket(path: socket)
        } else if let host = environment["DK_PG_HOST"], !host.isEmpty {
            endpoint = .tcp(host: host, port: Int(environment["DK_PG_PORT"] ?? "") ?? 5432)
        } else {
            throw DistributedError.missingEnvironment("DK_PG_SOCKET")
        }
        return PostgresSettings(endpoint: endpoint, username: try required("DK_PG_USER"),
                                password: environment["DK_PG_PASSWORD"], database: try required("DK_PG_DATABASE"))
    }

    // MARK: postgres-nio configurations

    var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .unixSocket(let path):
            configuration = .init(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            configuration = .init(host: host, port: port, username: username, password: password, database: database,
                                  tls: .disable)
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        return configuration
    }

    var connectionConfiguration: PostgresConnection.Configuration {
        switch endpoint {
        case .unixSocket(let path):
            .init(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            .init(host: host, port: port, username: username, password: password, database: database, tls: .disable)
        }
    }
}
