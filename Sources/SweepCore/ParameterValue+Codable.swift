/// On the wire and in `held.jsonl` a value keeps its Python type: JSON would turn `1.0` into `1`
/// and a mapping's order into no order, and W&B's agent would render those differently
/// (`--lr=1.0`, not `--lr=1`). So a real is `{"real": 1.0}` and a mapping `{"mapping": [[key,
/// value], …]}`; null, booleans, integers, strings and lists are plain JSON.
extension ParameterValue: Codable {
    private enum Tag: String, CodingKey { case real, mapping }

    /// Reads a value written by `encode(to:)`.
    public init(from decoder: any Decoder) throws {
        if let tagged = try? decoder.container(keyedBy: Tag.self) {
            if tagged.contains(.real) {
                self = .real(try tagged.decode(Double.self, forKey: .real))
                return
            }
            if tagged.contains(.mapping) {
                self = .mapping(try tagged.decode([Pair].self, forKey: .mapping))
                return
            }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "an object that is not a value"))
        }
        if var list = try? decoder.unkeyedContainer() {
            var items: [ParameterValue] = []
            while !list.isAtEnd { items.append(try list.decode(ParameterValue.self)) }
            self = .list(items)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let flag = try? single.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? single.decode(Int.self) {
            self = .int(number)
        } else {
            self = .string(try single.decode(String.self))
        }
    }

    /// Writes the value, reals and mappings tagged.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .real(let number):
            var tagged = encoder.container(keyedBy: Tag.self)
            try tagged.encode(number, forKey: .real)
        case .mapping(let pairs):
            var tagged = encoder.container(keyedBy: Tag.self)
            try tagged.encode(pairs, forKey: .mapping)
        case .list(let items):
            var list = encoder.unkeyedContainer()
            for item in items { try list.encode(item) }
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .bool(let flag):
            var single = encoder.singleValueContainer()
            try single.encode(flag)
        case .int(let number):
            var single = encoder.singleValueContainer()
            try single.encode(number)
        case .string(let text):
            var single = encoder.singleValueContainer()
            try single.encode(text)
        }
    }
}

/// A pair is `[key, value]`.
extension ParameterValue.Pair: Codable {
    /// Reads `[key, value]`.
    public init(from decoder: any Decoder) throws {
        var pair = try decoder.unkeyedContainer()
        self.init(try pair.decode(String.self), try pair.decode(ParameterValue.self))
    }

    /// Writes `[key, value]`.
    public func encode(to encoder: any Encoder) throws {
        var pair = encoder.unkeyedContainer()
        try pair.encode(key)
        try pair.encode(value)
    }
}
