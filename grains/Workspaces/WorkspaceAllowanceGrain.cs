using Billing.Errors;
using Billing.Rules;
using Billing.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Billing.Workspaces;

/// <summary>
/// One user's workspace-creation allowance (see <see cref="IWorkspaceAllowanceGrain"/>). The API reserves before it
/// creates the workspace, so two concurrent requests of one user are counted one after the other in this grain.
/// </summary>
public sealed partial class WorkspaceAllowanceGrain(
    [PersistentState("workspace-allowance", StorageNames.Billing)] IPersistentState<WorkspaceAllowanceState> allowance,
    BillingClock clock,
    IOptions<WorkspaceCreationOptions> options,
    ILogger<WorkspaceAllowanceGrain> logger) : Grain, IWorkspaceAllowanceGrain
{
    async Task IWorkspaceAllowanceGrain.Reserve(string workspaceId)
    {
        var s = allowance.State;
        if (s.Created.ContainsKey(workspaceId))
            return;
        var now = clock.UtcNow;
        if (WorkspaceCreationRules.NextPossibleAt(s.Created.Values, now, Limit) is { } next)
        {
            LogRefused(logger, UserKey, Limit, next);
            throw BillingException.TooMany("workspace.creation.limit",
                $"A user creates at most {Limit} workspaces in 30 days; the next one is possible at {next:yyyy-MM-dd'T'HH:mm:ss'Z'}.", next);
        }
        // Only what can still count is kept: the state stays bounded by the limit.
        foreach (var old in s.Created.Where(c => c.Value <= now - WorkspaceCreationRules.Window).Select(c => c.Key).ToList())
            s.Created.Remove(old);
        s.Created[workspaceId] = now;
        await allowance.WriteStateAsync();
    }

    async Task IWorkspaceAllowanceGrain.Release(string workspaceId)
    {
        if (allowance.State.Created.Remove(workspaceId))
            await allowance.WriteStateAsync();
    }

    async Task<WorkspaceAllowance> IWorkspaceAllowanceGrain.SetLimit(int? perThirtyDays, string operatorUserId, string reason)
    {
        if (perThirtyDays is < 1 or > 1000)
            throw BillingException.Invalid("perThirtyDays", "workspace.allowance.invalid", "The limit is 1 to 1000 workspaces in 30 days, or null for the default.");
        var why = Names.Validate(reason, "reason", "workspace.allowance.reason.invalid", 500);
        allowance.State.LimitOverride = perThirtyDays;
        await allowance.WriteStateAsync();
        LogLimitSet(logger, UserKey, perThirtyDays, operatorUserId, why);
        return View();
    }

    Task<WorkspaceAllowance> IWorkspaceAllowanceGrain.Get() => Task.FromResult(View());

    private string UserKey => this.GetPrimaryKeyString();

    private int Limit => allowance.State.LimitOverride ?? options.Value.PerOwnerPer30Days;

    private WorkspaceAllowance View()
    {
        var now = clock.UtcNow;
        var created = allowance.State.Created.Values;
        return new WorkspaceAllowance(Limit, allowance.State.LimitOverride is not null, WorkspaceCreationRules.CountedAt(created, now),
            WorkspaceCreationRules.NextPossibleAt(created, now, Limit));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace creation refused for user key {UserKey}: {Limit} in 30 days reached, next at {NextAt}")]
    private static partial void LogRefused(ILogger logger, string userKey, int limit, DateTimeOffset nextAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace creation limit of user key {UserKey} set to {Limit} by operator {OperatorUserId}: {Reason}")]
    private static partial void LogLimitSet(ILogger logger, string userKey, int? limit, string operatorUserId, string reason);
}

[GenerateSerializer, Alias("billing.workspaces.allowance-state")]
public sealed class WorkspaceAllowanceState
{
    /// <summary>Workspaces created (or being created) in the last 30 days, by id.</summary>
    [Id(0)] public Dictionary<string, DateTimeOffset> Created { get; set; } = new(StringComparer.Ordinal);

    /// <summary>An operator's limit for this user; null: the configured default.</summary>
    [Id(1)] public int? LimitOverride { get; set; }
}
