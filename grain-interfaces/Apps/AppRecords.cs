namespace Billing.Apps;

/// <summary>W4: the products an app is built for.</summary>
public enum Product
{
    AutomationAi = 0,
    SearchAi = 1,
    ContactCenterAi = 2,
    AgentAi = 3,
}

/// <summary>B5: how agent seats of a Contact Center AI or Agent AI app are billed.</summary>
public enum SeatModel
{
    Named = 0,
    Concurrent = 1,
}

/// <summary>P1: usage plans. Standard is pay as you go; Essential and Advanced are subscriptions; Enterprise is a contract.</summary>
public enum UsagePlan
{
    Standard = 0,
    Essential = 1,
    Advanced = 2,
    Enterprise = 3,
}

public static class AppLimits
{
    public const int MaxNameLength = 100;
}

[GenerateSerializer, Immutable, Alias("billing.apps.create")]
public sealed record CreateApp(
    [property: Id(0)] string WorkspaceId,
    [property: Id(1)] string Name,
    [property: Id(2)] Product Product,
    [property: Id(3)] string OwnerUserId,
    [property: Id(4)] SeatModel? SeatModel);

/// <summary>An app as the billing system knows it: where it belongs, what it is for and how it is billed.</summary>
[GenerateSerializer, Immutable, Alias("billing.apps.view")]
public sealed record AppView(
    [property: Id(0)] string Id,
    [property: Id(1)] string WorkspaceId,
    [property: Id(2)] string Name,
    [property: Id(3)] Product Product,
    [property: Id(4)] UsagePlan Plan,
    [property: Id(5)] SeatModel? SeatModel,
    [property: Id(6)] string OwnerUserId,
    [property: Id(7)] DateTimeOffset CreatedAt);
