/// A teacher output directory that cannot be written as asked: the path and the reason.
public typealias TeacherOutputError = FileError
