/// A zeroed buffer for librdkafka's `char *errstr, size_t errstr_size` out-parameters.
struct ErrorStringBuffer {
    var bytes = [CChar](repeating: 0, count: 512)

    var text: String {
        bytes.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
