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

/// JSON `null` for `JSONSerialization`.
enum NSNullMarker {
    static var null: Any { NSNull() }
}
