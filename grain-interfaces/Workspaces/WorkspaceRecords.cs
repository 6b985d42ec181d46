namespace Billing.Workspaces;

/// <summary>W1, W4: every workspace starts Standard; Enterprise comes from an approved upgrade.</summary>
public enum WorkspaceType
{
    Standard = 0,
    Enterprise = 1,
}

/// <summary>C4: which balance pays first. One explicit setting per workspace.</summary>
public enum ConsumptionOrder
{
    /// <summary>The app's paid balance first, the workspace's free credits back it up (the seed's emails).</summary>
    PaidFirst = 0,

    /// <summary>Free credits first, so that they are not lost to expiry (the public usage-plans page).</summary>
    FreeFirst = 1,
}

/// <summary>W2: workspace roles.</summary>
public enum WorkspaceRole
{
    Owner = 0,
    Admin = 1,
    Member = 2,
}

/// <summary>Input limits shared by the API's request validation and the grain's own checks.</summary>
public static class WorkspaceLimits
{
    public const int MaxNameLength = 100;
}

[GenerateSerializer, Immutable, Alias("billing.workspaces.create")]
public sealed record CreateWorkspace(
    [property: Id(0)] string Name,
    [property: Id(1)] string OwnerUserId);

/// <summary>The free credits a Standard workspace is granted once, shared by all its apps (C1). Amounts in USD.</summary>
[GenerateSerializer, Immutable, Alias("billing.workspaces.free-credit-grant")]
public sealed record FreeCreditGrant(
    [property: Id(0)] decimal AmountUsd,
    [property: Id(1)] DateTimeOffset GrantedAt,
    [property: Id(2)] DateTimeOffset ExpiresAt);

[GenerateSerializer, Immutable, Alias("billing.workspaces.view")]
public sealed record WorkspaceView(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] WorkspaceType Type,
    [property: Id(3)] string OwnerUserId,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] FreeCreditGrant? FreeCredits,
    [property: Id(6)] WorkspaceRole CallerRole,
    [property: Id(7)] ConsumptionOrder ConsumptionOrder = ConsumptionOrder.PaidFirst);
