namespace Billing.Apps;

/// <summary>W4: the products an app is built for.</summary>
public enum Product
{
    AutomationAi = 0,
    SearchAi = 1,
    ContactCenterAi = 2,
    AgentAi = 3,
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
    [property: Id(7)] DateTimeOffset CreatedAt,
    [property: Id(8)] PublishStatus PublishStatus = PublishStatus.Draft,
    [property: Id(9)] IReadOnlyList<string>? Collaborators = null,
    [property: Id(10)] PublishState? Publishing = null);

/// <summary>W2: a user's role on one app. The App Owner has every right on it; a Collaborator builds and publishes it.</summary>
public enum AppRole
{
    AppOwner = 0,
    Collaborator = 1,
}

/// <summary>W3: what the previous owner keeps after an ownership transfer, chosen in the same call.</summary>
public enum PreviousOwnerRole
{
    /// <summary>Stays on the app's team as a Collaborator.</summary>
    Collaborator = 0,

    /// <summary>Leaves the app's team (stays a workspace member).</summary>
    None = 1,
}

/// <summary>D1: where an app is on its way to channels.</summary>
public enum PublishStatus
{
    Draft = 0,
    PendingApproval = 1,
    Published = 2,
}

/// <summary>D1, D2: the publishing side of an app: the open request, the auto-approval setting, the first publish.</summary>
[GenerateSerializer, Immutable, Alias("billing.apps.publish-state")]
public sealed record PublishState(
    [property: Id(0)] string? RequestedBy,
    [property: Id(1)] DateTimeOffset? RequestedAt,
    [property: Id(2)] bool AutoApprovalEnabled,
    [property: Id(3)] DateTimeOffset? FirstPublishedAt,
    [property: Id(4)] Billing.Notifications.PublishApproval? FirstApproval,
    [property: Id(5)] Billing.Notifications.PublishFunding? FirstFunding,
    [property: Id(6)] string? LastRejectionReason);

public static class PublishLimits
{
    public const int MaxReasonLength = 500;
}
