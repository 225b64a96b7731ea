import Foundation

/// A whole file mapped read-only into memory. Model files are large and read once;
/// mapping lets the kernel page them in on demand and share them between processes.
/// Every access is bounds-checked against the file size, so a corrupt offset in a
/// header becomes an error instead of a crash.
public final class MappedFile: @unchecked Sendable {
    // Immutable after init; the mapping is read-only, so sharing it across threads is safe.
    public let path: String
    public let size: Int
    private let base: UnsafeRawPointer?
    /// True when `base` is memory this object allocated (`init(path:bytes:)`), not a mapping.
    private let isAllocated: Bool

    public init(path: String) throws(FileError) {
        self.path = path
        isAllocated = false
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FileError(path: path, problem: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw FileError(path: path, problem: "cannot stat: \(String(cString: strerror(errno)))") }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw FileError(path: path, problem: "not a regular file") }
        size = Int(status.st_size)
        if size == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw FileError(path: path, problem: "cannot map \(size) bytes: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapped)
    }

    /// A file's contents held in memory under a name (for fuzzing, where writing every
    /// input to disk would dominate the time); it reads exactly like a mapped file.
    public init(path: String, bytes: [UInt8]) {
        self.path = path
        size = bytes.count
        isAllocated = true
        guard !bytes.isEmpty else {
            base = nil
            return
        }
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 16)
        bytes.withUnsafeBytes { memory.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        base = UnsafeRawPointer(memory)
    }

    deinit {
        guard let base else { return }
        if isAllocated {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        } else {
            munmap(UnsafeMutableRawPointer(mutating: base), size)
        }
    }

    /// The bytes `range`, or an error naming the file when they lie outside it.
    public func bytes(_ range: Range<Int>, what: @autoclosure () -> String) throws(FileError) -> UnsafeRawBufferPointer {
        guard range.lowerBound >= 0, range.upperBound <= size else {
            throw FileError(path: path, problem: "\(what()) [\(range.lowerBound), \(range.upperBound)) extends past the end of the file (\(size) bytes)")
        }
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// Drops the whole pages inside `range` from this process's resident memory: bytes
    /// read once (hashed) or now served by a copy in another layout. Reading them again is
    /// still correct: a read-only mapping faults them back in from the file (the page
    /// cache, usually). An in-memory copy has no file to read them back from and keeps them.
    public func releasePages(_ range: Range<Int>) {
        guard !isAllocated, let base, range.lowerBound >= 0, range.upperBound <= size else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (range.lowerBound + page - 1) / page * page
        let end = range.upperBound / page * page
        guard first < end else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + first), end - first, MADV_DONTNEED)
    }

    /// All bytes of the file.
    public var contents: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: size)
    }
}

/// A file that cannot be used, with the reason.
public struct FileError: Error, Sendable, CustomStringConvertible, Equatable {
    public var path: String
    public var problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}
