/// A cursor over the bytes of a GGUF file. Every read is checked against the end of
/// the file, and every count is checked against the bytes left before anything is
/// allocated for it, so a corrupt length field is an error, never a giant allocation.
struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var offset: Int

    init(bytes: UnsafeRawBufferPointer, path: String, offset: Int = 0) {
        self.bytes = bytes
        self.path = path
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    func error(_ problem: String) -> FileError {
        FileError(path: path, problem: problem)
    }

    mutating func read<Value: FixedWidthInteger>(_: Value.Type, _ what: @autoclosure () -> String) throws(FileError) -> Value {
        let size = MemoryLayout<Value>.size
        guard size <= remaining else {
            throw error("\(what()) at byte \(offset) (\(size) bytes) extends past the end of the file (\(bytes.count) bytes)")
        }
        let value = Value(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Value.self))
        offset += size
        return value
    }

    /// A u64 count of items each at least `minimumItemSize` bytes long, refused when
    /// that many items could not fit in the rest of the file.
    mutating func readCount(_ what: @autoclosure () -> String, minimumItemSize: Int) throws(FileError) -> Int {
        let start = offset
        let raw = try read(UInt64.self, what())
        guard raw <= UInt64(remaining / max(minimumItemSize, 1)) else {
            throw error("\(what()) = \(raw) at byte \(start) cannot fit in the \(remaining) bytes left of the file (\(bytes.count) bytes)")
        }
        return Int(raw)
    }

    /// A GGUF string: u64 byte length, then UTF-8 bytes (no terminator).
    mutating func readString(_ what: @autoclosure () -> String) throws(FileError) -> String {
        let start = offset
        let length = try readCount("length of \(what())", minimumItemSize: 1)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw error("\(what()) at byte \(start) is not valid UTF-8")
        }
        offset += length
        return string
    }

    /// Moves the cursor forward to the next multiple of `alignment`.
    mutating func align(to alignment: Int) {
        let rounded = (offset + alignment - 1) / alignment * alignment
        offset = rounded
    }
}
