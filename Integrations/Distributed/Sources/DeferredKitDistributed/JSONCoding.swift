import Foundation

// MARK: - JSON coding

/// How inputs and outputs are stored: JSON with sorted keys (so the same value always encodes the same
/// way and deduplication compares definitions, not key orders), in `jsonb` columns.
enum JSONCoding {
    static func encode<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from json: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(json.utf8))
    }

    /// A JSON text turned into a value `JSONSerialization` can embed in a larger document.
    static func fragment(_ json: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
    }

    static func document(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed, .sortedKeys]),
               as: UTF8.self)
    }
}

// MARK: - Documents built as text

extension JSONCoding {
    /// `text` as a JSON string literal, quotes included: `"`, `\\` and control characters escaped,
    /// everything else (UTF-8) as it is.
    static func quoted(_ text: String) -> String {
        let needsEscaping = text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        guard needsEscaping else { return "\"" + text + "\"" }
        var result = "\""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// The `dk_complete` document for `entries`, `[{"id": …, "fence": …, "output" or "failure": …}, …]`.
    ///
    /// Outputs and failures are JSON texts already (this module's encoder wrote them), so they are
    /// spliced in as they are: parsing them back into `JSONSerialization` objects and writing them out
    /// again took a quarter of a benchmark worker's CPU. The server parses the whole document as `jsonb`.
    static func completionDocument(_ entries: [CompletionBatcher.Entry]) -> String {
        var document = "["
        for (index, entry) in entries.enumerated() {
            if index > 0 { document += "," }
            document += "{\"id\":" + quoted(entry.id) + ",\"fence\":" + String(entry.fence)
            if let failure = entry.failureJSON {
                document += ",\"failure\":" + failure + "}"
            } else {
                document += ",\"output\":" + (entry.outputJSON ?? "null") + "}"
            }
        }
        return document + "]"
    }

    /// The `dk_heartbeat` document, `[{"id": …, "fence": …}, …]`.
    static func heartbeatDocument(_ held: [(id: String, fence: Int64)]) -> String {
        "[" + held.map { "{\"id\":" + quoted($0.id) + ",\"fence\":" + String($0.fence) + "}" }.joined(separator: ",") + "]"
    }
}

/// JSON `null` for `JSONSerialization`.
enum NSNullMarker {
    static var null: Any { NSNull() }
}
