namespace Billing.Workspaces;

/// <summary>
/// How many workspaces one user may still create (keyed by <see cref="Billing.Users.UserKeys.GrainKey"/> of the
/// user id). Every Standard workspace comes with free credits (C1), so creating them in bulk would farm credits: a
/// user creates at most <c>Workspaces:PerOwnerPer30Days</c> in any 30 days, unless an operator lifted the limit.
/// </summary>
public interface IWorkspaceAllowanceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Counts the creation of <paramref name="workspaceId"/> against the user's allowance, or throws a
    /// <c>TooManyRequests</c> error saying when the next one is possible. Idempotent on the workspace id.
    /// </summary>
    Task Reserve(string workspaceId);

    /// <summary>Gives back a reservation whose workspace was not created after all.</summary>
    Task Release(string workspaceId);

    /// <summary>Operators: this user may create up to <paramref name="perThirtyDays"/> workspaces in any 30 days (null: the default again).</summary>
    Task<WorkspaceAllowance> SetLimit(int? perThirtyDays, string operatorUserId, string reason);

    Task<WorkspaceAllowance> Get();
}

/// <summary>A user's workspace-creation allowance: the limit in force, creations in the last 30 days, when the next is possible.</summary>
[GenerateSerializer, Immutable, Alias("billing.workspaces.allowance")]
public sealed record WorkspaceAllowance(
    [property: Id(0)] int PerThirtyDays,
    [property: Id(1)] bool Lifted,
    [property: Id(2)] int CreatedInWindow,
    [property: Id(3)] DateTimeOffset? NextPossibleAt);
