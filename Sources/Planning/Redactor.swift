import Wire

/// Masks secret values anywhere in text that is about to be shown or stored (output of commands,
/// URLs, paths). Values shorter than four characters are masked only where they are rendered, since
/// replacing them everywhere would garble output.
public struct Redactor: Sendable {
    private let secrets: [String]

    public init(secrets: [String]) {
        self.secrets = Array(Set(secrets.filter { $0.count >= 4 })).sorted { $0.count > $1.count }
    }

    public func redact(_ text: String) -> String {
        guard !secrets.isEmpty else { return text }
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacing(secret, with: secretMask)
        }
        return result
    }
}
