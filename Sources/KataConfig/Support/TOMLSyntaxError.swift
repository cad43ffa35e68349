/// Where TOML syntax broke, as TOMLKit (toml++) reported it.
struct TOMLSyntaxError: Error, Sendable {
    var line: Int
    var column: Int
    var reason: String
}
