import Foundation

/// A JSON object from a Hugging Face directory (`config.json`, ...), with typed
/// accessors whose errors name the file and the key. JSON `null` counts as absent.
struct HuggingFaceJSON {
    let path: String
    let object: [String: Any]

    init(path: String, object: [String: Any]) {
        self.path = path
        self.object = object
    }

    init(path: String) throws(FileError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw FileError(path: path, problem: "cannot read: \(error.localizedDescription)")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw FileError(path: path, problem: "not valid JSON")
        }
        guard let object = parsed as? [String: Any] else {
            throw FileError(path: path, problem: "top level is not a JSON object")
        }
        self.init(path: path, object: object)
    }

    func error(_ problem: String) -> FileError {
        FileError(path: path, problem: problem)
    }

    private func value(_ key: String) -> Any? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        return value
    }

    func integer(_ key: String) throws(FileError) -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue) else {
            throw error("\(key) = \(value) is not an integer")
        }
        return integer
    }

    func requiredInteger(_ key: String) throws(FileError) -> Int {
        guard let value = try integer(key) else { throw error("\(key) is missing") }
        return value
    }

    func double(_ key: String) throws(FileError) -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value as? NSNumber else { throw error("\(key) = \(value) is not a number") }
        return number.doubleValue
    }

    func bool(_ key: String) throws(FileError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let bool = value as? Bool else { throw error("\(key) = \(value) is not true or false") }
        return bool
    }

    func string(_ key: String) throws(FileError) -> String? {
        guard let value = value(key) else { return nil }
        guard let string = value as? String else { throw error("\(key) = \(value) is not a string") }
        return string
    }

    func object(_ key: String) throws(FileError) -> HuggingFaceJSON? {
        guard let value = value(key) else { return nil }
        guard let object = value as? [String: Any] else { throw error("\(key) is not a JSON object") }
        return HuggingFaceJSON(path: path, object: object)
    }

    /// An integer or a list of integers (e.g. `eos_token_id`).
    func integerList(_ key: String) throws(FileError) -> [Int]? {
        guard let value = value(key) else { return nil }
        if let list = value as? [Any] {
            var integers: [Int] = []
            for element in list {
                guard let number = element as? NSNumber, let integer = Int(exactly: number.doubleValue) else {
                    throw error("\(key) element \(element) is not an integer")
                }
                integers.append(integer)
            }
            return integers
        }
        return try integer(key).map { [$0] }
    }
}
