/// Typed access to GGUF metadata. A key that is present with the wrong type is an
/// error naming the key, never silently treated as absent.
extension GGUFFile {
    func error(_ problem: String) -> FileError {
        FileError(path: path, problem: problem)
    }

    public func integer(_ key: String) throws(FileError) -> Int? {
        guard let value = metadata[key] else { return nil }
        switch value {
        case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64:
            guard let integer = value.integer, let exact = Int(exactly: integer) else {
                throw error("metadata \(key) (\(value.type)) is not an integer that fits in Int")
            }
            return exact
        default:
            throw error("metadata \(key) is \(value.type), expected an integer")
        }
    }

    public func requiredInteger(_ key: String) throws(FileError) -> Int {
        guard let value = try integer(key) else { throw error("metadata \(key) is missing") }
        return value
    }

    public func floatingPoint(_ key: String) throws(FileError) -> Double? {
        guard let value = metadata[key] else { return nil }
        guard let number = value.floatingPoint else {
            throw error("metadata \(key) is \(value.type), expected FLOAT32 or FLOAT64")
        }
        return number
    }

    public func string(_ key: String) throws(FileError) -> String? {
        guard let value = metadata[key] else { return nil }
        guard let string = value.string else { throw error("metadata \(key) is \(value.type), expected STRING") }
        return string
    }

    public func requiredString(_ key: String) throws(FileError) -> String {
        guard let value = try string(key) else { throw error("metadata \(key) is missing") }
        return value
    }

    public func bool(_ key: String) throws(FileError) -> Bool? {
        guard let value = metadata[key] else { return nil }
        guard let bool = value.bool else { throw error("metadata \(key) is \(value.type), expected BOOL") }
        return bool
    }

    public func stringArray(_ key: String) throws(FileError) -> [String]? {
        guard let value = metadata[key] else { return nil }
        guard case .array(.string, let values) = value else {
            throw error("metadata \(key) is \(value.type), expected an ARRAY of STRING")
        }
        return values.map { $0.string! }
    }

    public func integerArray(_ key: String) throws(FileError) -> [Int]? {
        guard let value = metadata[key] else { return nil }
        guard case .array(let elementType, let values) = value else {
            throw error("metadata \(key) is \(value.type), expected an ARRAY of integers")
        }
        var integers: [Int] = []
        integers.reserveCapacity(values.count)
        for element in values {
            guard let integer = element.integer, let exact = Int(exactly: integer) else {
                throw error("metadata \(key) is an ARRAY of \(elementType), expected integers")
            }
            integers.append(exact)
        }
        return integers
    }
}
