namespace Billing.Workspaces;

[GenerateSerializer, Alias("billing.workspaces.state")]
public sealed class WorkspaceState
{
    [Id(0)] public string Name { get; set; } = "";
    [Id(1)] public WorkspaceType Type { get; set; }
    [Id(2)] public string OwnerUserId { get; set; } = "";
    [Id(3)] public DateTimeOffset CreatedAt { get; set; }
    [Id(4)] public FreeCreditGrant? FreeCredits { get; set; }

    /// <summary>Members by user id (the token's <c>sub</c>), the owner included.</summary>
    [Id(5)] public Dictionary<string, WorkspaceRole> Members { get; set; } = new(StringComparer.Ordinal);

    [Id(6)] public ConsumptionOrder ConsumptionOrder { get; set; }

    /// <summary>The workspace's apps; bounded by what a workspace builds, not by traffic.</summary>
    [Id(7)] public List<string> AppIds { get; set; } = [];

    public bool IsCreated => OwnerUserId.Length > 0;
}
