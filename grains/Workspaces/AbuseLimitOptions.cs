using Billing.Rules;
using Microsoft.Extensions.DependencyInjection;

namespace Billing.Workspaces;

/// <summary>Section <c>Workspaces</c>: how many workspaces one user may create (each brings free credits, C1).</summary>
public sealed class WorkspaceCreationOptions
{
    public const string Section = "Workspaces";

    /// <summary>Workspaces one user may create in any 30 days, unless an operator lifted it for them. 1 to 1000.</summary>
    public int PerOwnerPer30Days { get; set; } = WorkspaceCreationRules.DefaultPerWindow;
}

/// <summary>Section <c>Invitations</c>: invitations are emails from our sender to any address, so they are counted.</summary>
public sealed class InvitationOptions
{
    public const string Section = "Invitations";

    /// <summary>Invitations one workspace may send in any 24 hours. 1 to 10,000.</summary>
    public int PerWorkspacePerDay { get; set; } = 50;
}

public static class AbuseLimitServiceExtensions
{
    /// <summary>Binds and validates the workspace-creation and invitation limits (the silo refuses to start on a bad value).</summary>
    public static IServiceCollection AddAbuseLimits(this IServiceCollection services)
    {
        services.AddOptions<WorkspaceCreationOptions>().BindConfiguration(WorkspaceCreationOptions.Section)
            .Validate(o => o.PerOwnerPer30Days is >= 1 and <= 1000, "Workspaces:PerOwnerPer30Days is 1 to 1000.")
            .ValidateOnStart();
        services.AddOptions<InvitationOptions>().BindConfiguration(InvitationOptions.Section)
            .Validate(o => o.PerWorkspacePerDay is >= 1 and <= 10_000, "Invitations:PerWorkspacePerDay is 1 to 10000.")
            .ValidateOnStart();
        return services;
    }
}
