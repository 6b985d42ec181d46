using Billing.Api.Idempotency;
using System.ComponentModel.DataAnnotations;
using Billing.Api.Auth;
using Billing.Api.Workspaces.Team;
using Billing.Errors;
using Billing.Text;
using Billing.Users;
using Billing.Workspaces;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Workspaces;

/// <summary>The body of <c>POST /workspaces</c>: only what a caller may choose (no owner, type or credits).</summary>
public sealed record CreateWorkspaceRequest(
    [property: Required, StringLength(WorkspaceLimits.MaxNameLength, MinimumLength = 1)] string Name);

public static class WorkspacesApi
{
    public static IEndpointRouteBuilder MapWorkspacesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/workspaces").WithTags("Workspaces").RequireAuthorization();
        group.MapGet("/", List).WithName("ListWorkspaces");
        group.MapPost("/", Create).WithName("CreateWorkspace").WithIdempotencyKey(required: false);
        group.MapGet("/{workspaceId}", Get).WithName("GetWorkspace").Allows("Owner", "Admin", "Member");
        routes.MapTeamApi();
        routes.MapEnterpriseApi();
        return routes;
    }

    /// <summary>
    /// W1, C1: a new Standard workspace owned by the caller, with $500 of free credits for 90 days. Each brings free
    /// credits, so a user creates at most <c>Workspaces:PerOwnerPer30Days</c> of them in 30 days (429 beyond).
    /// </summary>
    private static async Task<Created<WorkspaceView>> Create(CreateWorkspaceRequest request, HttpContext http, IClusterClient cluster, MemberWorkspaces memberships)
    {
        var caller = http.User.UserId();
        // A name that would be refused must not use up the allowance: checked before the reservation.
        var name = Names.Validate(request.Name, "name", "workspace.name.invalid", WorkspaceLimits.MaxNameLength);
        var id = WorkspaceIds.New();
        var allowance = cluster.GetGrain<IWorkspaceAllowanceGrain>(UserKeys.GrainKey(caller));
        await allowance.Reserve(id);
        WorkspaceView view;
        try
        {
            view = await cluster.GetGrain<IWorkspaceGrain>(id).Create(new CreateWorkspace(name, caller));
        }
        catch (BillingException)
        {
            await allowance.Release(id);
            throw;
        }
        await memberships.Add(caller, id, http.RequestAborted);
        return TypedResults.Created($"/workspaces/{id}", view);
    }

    /// <summary>
    /// The workspaces the caller belongs to (created, or joined by invitation), by name. Each is asked for the caller's
    /// membership, so one the caller left or was removed from is not listed.
    /// </summary>
    private static async Task<Ok<IReadOnlyList<WorkspaceView>>> List(HttpContext http, IClusterClient cluster, MemberWorkspaces memberships)
    {
        var caller = http.User.UserId();
        var ids = await memberships.List(caller, http.RequestAborted);
        var views = await Task.WhenAll(ids.Select(id => cluster.GetGrain<IWorkspaceGrain>(id).GetForMember(caller)));
        return TypedResults.Ok<IReadOnlyList<WorkspaceView>>([.. views.OfType<WorkspaceView>().OrderBy(v => v.Name, StringComparer.CurrentCultureIgnoreCase)]);
    }

    /// <summary>Members see the workspace; everyone else gets 404, so ids of other tenants cannot be probed.</summary>
    private static async Task<Results<Ok<WorkspaceView>, NotFound>> Get(string workspaceId, HttpContext http, IClusterClient cluster)
    {
        if (!WorkspaceIds.IsWellFormed(workspaceId))
            return TypedResults.NotFound();
        var view = await cluster.GetGrain<IWorkspaceGrain>(workspaceId).GetForMember(http.User.UserId());
        return view is null ? TypedResults.NotFound() : TypedResults.Ok(view);
    }
}
