/// A zero-initialised float buffer owned for the duration of one pass (forward or
/// backward), so the kernels can work on raw pointers without nested closures.
final class ScratchBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }

    var array: [Float] { Array(buffer) }

    deinit { pointer.deallocate() }
}
