import Synchronization

/// One weight's `ColumnPackedWeight`, made by the first product that needs it: workers
/// that only decode never pay its memory, and concurrent first uses pack it once.
final class LazyColumnPacking: Sendable {
    private let packed = Mutex<ColumnPackedWeight?>(nil)

    /// The packed weight if it has been made.
    var existing: ColumnPackedWeight? { packed.withLock { $0 } }

    /// The packed weight, from `pack` the first time.
    func weight(_ pack: () -> ColumnPackedWeight) -> ColumnPackedWeight {
        packed.withLock { current in
            if let current { return current }
            let made = pack()
            current = made
            return made
        }
    }
}
