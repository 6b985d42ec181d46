namespace Billing.Api.Workspaces;

/// <summary>Workspace ids are minted by the API (<c>ws_</c> + 32 hex digits) so callers cannot choose or guess them.</summary>
public static class WorkspaceIds
{
    private const string Prefix = "ws_";
    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    public static string New() => Prefix + Guid.NewGuid().ToString("N");

    public static bool IsWellFormed(string id) =>
        id.Length == Prefix.Length + 32 && id.StartsWith(Prefix, StringComparison.Ordinal) && !id.AsSpan(Prefix.Length).ContainsAnyExcept(LowerHex);
}
