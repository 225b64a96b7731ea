/// Why a checkpoint could not be written or read back: the path and what was wrong.
public typealias CheckpointError = FileError
