using Billing.Api.Auth;
using Billing.Errors;
using Billing.Workspaces;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Overview;

/// <summary>U3: the workspace's Plan &amp; Usage view in one call.</summary>
public static class OverviewApi
{
    public static IEndpointRouteBuilder MapOverviewApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/workspaces").WithTags("Overview").RequireAuthorization()
            .MapGet("/{workspaceId}/overview", Get).WithName("GetWorkspaceOverview").Allows("Owner", "Admin", "Member");
        return routes;
    }

    private static async Task<Ok<WorkspaceOverview>> Get(string workspaceId, HttpContext http, IClusterClient cluster)
    {
        var caller = http.User.UserId();
        await Access.RequireWorkspaceRole(cluster, workspaceId, caller, Access.Members);
        var overview = await cluster.GetGrain<IWorkspaceOverviewGrain>(0).Get(workspaceId, caller)
            ?? throw BillingException.NotFound("workspace.not-found", $"Workspace '{workspaceId}' was not found.");
        return TypedResults.Ok(overview);
    }
}
