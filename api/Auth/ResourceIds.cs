using Billing.Errors;

namespace Billing.Api.Auth;

/// <summary>
/// Ids minted by the API (a prefix and 32 lower-case hex digits), so callers cannot choose or guess them, and a
/// malformed id is answered 404 without a grain call.
/// </summary>
public sealed class ResourceIds(string prefix, string kind)
{
    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    public string New() => prefix + Guid.NewGuid().ToString("N");

    public bool IsWellFormed(string id) =>
        id.Length == prefix.Length + 32 && id.StartsWith(prefix, StringComparison.Ordinal) && !id.AsSpan(prefix.Length).ContainsAnyExcept(LowerHex);

    /// <summary>The same 404 as for an id that does not exist.</summary>
    public void ThrowIfMalformed(string id)
    {
        if (!IsWellFormed(id))
            throw BillingException.NotFound($"{kind}.not-found", $"{char.ToUpperInvariant(kind[0])}{kind[1..]} '{id}' was not found.");
    }
}

/// <summary>Workspace ids: <c>ws_</c> + 32 hex digits.</summary>
public static class WorkspaceIds
{
    private static readonly ResourceIds Ids = new("ws_", "workspace");

    public static string New() => Ids.New();

    public static bool IsWellFormed(string id) => Ids.IsWellFormed(id);

    public static void ThrowIfMalformed(string id) => Ids.ThrowIfMalformed(id);
}

/// <summary>App ids: <c>app_</c> + 32 hex digits.</summary>
public static class AppIds
{
    private static readonly ResourceIds Ids = new("app_", "app");

    public static string New() => Ids.New();

    public static bool IsWellFormed(string id) => Ids.IsWellFormed(id);

    public static void ThrowIfMalformed(string id) => Ids.ThrowIfMalformed(id);
}
