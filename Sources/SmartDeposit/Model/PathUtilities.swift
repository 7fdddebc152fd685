import Foundation

/// Path helpers shared by the stages.
public enum PathUtilities {
  /// `path` made absolute against the current directory, normalized.
  public static func absolute(_ path: String) -> String {
    if path.hasPrefix("/") { return (path as NSString).standardizingPath }
    let current = FileManager.default.currentDirectoryPath
    return ((current as NSString).appendingPathComponent(path) as NSString).standardizingPath
  }

  /// `path` made absolute against `folder` unless it already is.
  public static func resolve(_ path: String, against folder: String) -> String {
    if path.hasPrefix("/") { return (path as NSString).standardizingPath }
    return ((folder as NSString).appendingPathComponent(path) as NSString).standardizingPath
  }
}
