using Billing.Apps;

namespace Billing.Workspaces;

/// <summary>Input limits of the team endpoints, shared by the API's validation and the grains' own checks.</summary>
public static class TeamLimits
{
    public const int MaxUserIdLength = Billing.Users.UserLimits.MaxUserIdLength;
    public const int MaxEmailLength = Billing.Users.UserLimits.MaxEmailLength;

    /// <summary>An invitation is valid this long after it was sent.</summary>
    public static readonly TimeSpan InvitationValidity = TimeSpan.FromDays(14);

    /// <summary>Open invitations per workspace: bounds the grain's state against a flood of invitations.</summary>
    public const int MaxOpenInvitations = 200;
}

public enum InvitationStatus
{
    Pending = 0,
    Accepted = 1,
    Revoked = 2,
}

/// <summary>W2: an invitation by email to join a workspace with a role (Admin or Member).</summary>
[GenerateSerializer, Immutable, Alias("billing.workspaces.invitation")]
public sealed record InvitationView(
    [property: Id(0)] string Id,
    [property: Id(1)] string WorkspaceId,
    [property: Id(2)] string Email,
    [property: Id(3)] WorkspaceRole Role,
    [property: Id(4)] string InvitedByUserId,
    [property: Id(5)] DateTimeOffset InvitedAt,
    [property: Id(6)] DateTimeOffset ExpiresAt,
    [property: Id(7)] InvitationStatus Status,
    [property: Id(8)] string? AcceptedByUserId);

/// <summary>One member of a workspace and their role (W2). Email and name come from the user's profile when known.</summary>
[GenerateSerializer, Immutable, Alias("billing.workspaces.member")]
public sealed record MemberView(
    [property: Id(0)] string UserId,
    [property: Id(1)] WorkspaceRole Role,
    [property: Id(2)] string? Email,
    [property: Id(3)] string? DisplayName);

/// <summary>Where an app may be created: the plan it starts on (Enterprise in an Enterprise workspace, W4).</summary>
[GenerateSerializer, Immutable, Alias("billing.workspaces.app-admission")]
public sealed record AppAdmission(
    [property: Id(0)] UsagePlan Plan,
    [property: Id(1)] WorkspaceType WorkspaceType);
