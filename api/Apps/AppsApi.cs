using Billing.Api.Idempotency;
using System.ComponentModel.DataAnnotations;
using Billing.Api.Auth;
using Billing.Apps;
using Billing.Errors;
using Billing.Workspaces;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Apps;

// Request bodies name only what a caller may set (no plan, owner, balance, status or workspace): a field that is not
// here cannot be mass-assigned, whatever the JSON carries.

/// <summary>The body of <c>POST /workspaces/{id}/apps</c>: only what a caller may choose (no plan, owner or balance).</summary>
public sealed record CreateAppRequest(
    [property: Required, StringLength(AppLimits.MaxNameLength, MinimumLength = 1)] string Name,
    [property: Required] Product? Product,
    SeatModel? SeatModel);

public sealed record RenameAppRequest(
    [property: Required, StringLength(AppLimits.MaxNameLength, MinimumLength = 1)] string Name);

public sealed record SeatModelRequest([property: Required] SeatModel? SeatModel);

/// <summary>W3: the new owner and, in the same call, what the previous owner keeps.</summary>
public sealed record TransferAppRequest(
    [property: Required, StringLength(TeamLimits.MaxUserIdLength, MinimumLength = 1)] string NewOwnerUserId,
    [property: Required] PreviousOwnerRole? PreviousOwnerRole);

public sealed record RejectPublishRequest(
    [property: Required, StringLength(PublishLimits.MaxReasonLength, MinimumLength = 1)] string Reason);

public sealed record AutoApprovalRequest([property: Required] bool? Enabled);

public static class AppsApi
{
    public static IEndpointRouteBuilder MapAppsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/").WithTags("Apps").RequireAuthorization();
        group.MapPost("/workspaces/{workspaceId}/apps", Create).WithName("CreateApp").Allows("Owner", "Admin", "Member").WithIdempotencyKey(required: false);
        group.MapGet("/workspaces/{workspaceId}/apps", List).WithName("ListApps").Allows("Owner", "Admin", "Member");
        group.MapGet("/apps/{appId}", Get).WithName("GetApp").Allows("Owner", "Admin", "Member");
        group.MapPut("/apps/{appId}/name", Rename).WithName("RenameApp").Allows("Owner", "Admin", "AppOwner");
        group.MapPut("/apps/{appId}/seat-model", SetSeatModel).WithName("SetAppSeatModel").Allows("Owner", "Admin", "AppOwner");
        group.MapDelete("/apps/{appId}", Delete).WithName("DeleteApp").Allows("Owner", "Admin", "AppOwner");
        group.MapPut("/apps/{appId}/collaborators/{userId}", AddCollaborator).WithName("AddAppCollaborator").Allows("Owner", "Admin", "AppOwner");
        group.MapDelete("/apps/{appId}/collaborators/{userId}", RemoveCollaborator).WithName("RemoveAppCollaborator").Allows("Owner", "Admin", "AppOwner");
        group.MapPost("/apps/{appId}/transfer", Transfer).WithName("TransferApp").Allows("Owner", "Admin", "AppOwner");
        group.MapPost("/apps/{appId}/publish", RequestPublish).WithName("RequestPublish").Allows("Owner", "Admin", "AppOwner", "Collaborator");
        group.MapPost("/apps/{appId}/publish/approve", ApprovePublish).WithName("ApprovePublish").Allows("Owner", "Admin");
        group.MapPost("/apps/{appId}/publish/reject", RejectPublish).WithName("RejectPublish").Allows("Owner", "Admin");
        group.MapPut("/apps/{appId}/publish/auto-approval", SetAutoApproval).WithName("SetPublishAutoApproval").Allows("Owner", "Admin");
        return routes;
    }

    /// <summary>Any workspace member builds apps; the creator becomes the App Owner (W2). Enterprise: licensed products only (W4).</summary>
    private static async Task<Created<AppView>> Create(string workspaceId, CreateAppRequest request, HttpContext http, IClusterClient cluster)
    {
        var userId = http.User.UserId();
        await Access.RequireWorkspaceRole(cluster, workspaceId, userId, Access.Members);
        var id = AppIds.New();
        var view = await cluster.GetGrain<IAppGrain>(id).Create(new CreateApp(workspaceId, request.Name.Trim(), request.Product!.Value, userId, request.SeatModel));
        return TypedResults.Created($"/apps/{id}", view);
    }

    private static async Task<Ok<IReadOnlyList<AppView>>> List(string workspaceId, HttpContext http, IClusterClient cluster)
    {
        await Access.RequireWorkspaceRole(cluster, workspaceId, http.User.UserId(), Access.Members);
        var ids = await cluster.GetGrain<IWorkspaceGrain>(workspaceId).GetAppIds();
        var apps = await Task.WhenAll(ids.Select(id => cluster.GetGrain<IAppGrain>(id).Get()));
        // The workspace lists its apps in the order they were created (a clock can give two the same CreatedAt).
        return TypedResults.Ok<IReadOnlyList<AppView>>([.. apps.OfType<AppView>()]);
    }

    private static async Task<Ok<AppView>> Get(string appId, HttpContext http, IClusterClient cluster) =>
        TypedResults.Ok(await AppAccess.Require(cluster, appId, http.User.UserId(), AppRight.Read));

    private static async Task<Ok<AppView>> Rename(string appId, RenameAppRequest request, HttpContext http, IClusterClient cluster)
    {
        await AppAccess.Require(cluster, appId, http.User.UserId(), AppRight.Manage);
        return TypedResults.Ok(await cluster.GetGrain<IAppGrain>(appId).Rename(request.Name));
    }

    private static async Task<Ok<AppView>> SetSeatModel(string appId, SeatModelRequest request, HttpContext http, IClusterClient cluster)
    {
        await AppAccess.Require(cluster, appId, http.User.UserId(), AppRight.Manage);
        return TypedResults.Ok(await cluster.GetGrain<IAppGrain>(appId).SetSeatModel(request.SeatModel!.Value));
    }

    private static async Task<NoContent> Delete(string appId, HttpContext http, IClusterClient cluster)
    {
        await AppAccess.Require(cluster, appId, http.User.UserId(), AppRight.Manage);
        await cluster.GetGrain<IAppGrain>(appId).Delete();
        return TypedResults.NoContent();
    }

    private static async Task<Ok<AppView>> AddCollaborator(string appId, string userId, HttpContext http, IClusterClient cluster)
    {
        await AppAccess.Require(cluster, appId, http.User.UserId(), AppRight.Manage);
        return TypedResults.Ok(await cluster.GetGrain<IAppGrain>(appId).SetCollaborator(userId, onTeam: true));
    }

    private static async Task<Ok<AppView>> RemoveCollaborator(string appId, string userId, HttpContext http, IClusterClient cluster)
    {
        await AppAccess.Require(cluster, appId, http.User.UserId(), AppRight.Manage);
        return TypedResults.Ok(await cluster.GetGrain<IAppGrain>(appId).SetCollaborator(userId, onTeam: false));
    }

    /// <summary>W3: the App Owner, the Workspace Owner or an Admin hands the app to any workspace member.</summary>
    private static async Task<Ok<AppView>> Transfer(string appId, TransferAppRequest request, HttpContext http, IClusterClient cluster)
    {
        await AppAccess.Require(cluster, appId, http.User.UserId(), AppRight.Manage);
        return TypedResults.Ok(await cluster.GetGrain<IAppGrain>(appId).TransferOwnership(request.NewOwnerUserId, request.PreviousOwnerRole!.Value));
    }

    /// <summary>D1: publishes at once, waits for an admin, or answers 409 with the reason when no credits back the app.</summary>
    private static async Task<Ok<AppView>> RequestPublish(string appId, HttpContext http, IClusterClient cluster)
    {
        var userId = http.User.UserId();
        await AppAccess.Require(cluster, appId, userId, AppRight.Build);
        return TypedResults.Ok(await cluster.GetGrain<IAppGrain>(appId).RequestPublish(userId));
    }

    private static async Task<Ok<AppView>> ApprovePublish(string appId, HttpContext http, IClusterClient cluster)
    {
        var userId = http.User.UserId();
        await AppAccess.Require(cluster, appId, userId, AppRight.Approve);
        return TypedResults.Ok(await cluster.GetGrain<IAppGrain>(appId).ApprovePublish(userId));
    }

    private static async Task<Ok<AppView>> RejectPublish(string appId, RejectPublishRequest request, HttpContext http, IClusterClient cluster)
    {
        var userId = http.User.UserId();
        await AppAccess.Require(cluster, appId, userId, AppRight.Approve);
        return TypedResults.Ok(await cluster.GetGrain<IAppGrain>(appId).RejectPublish(userId, request.Reason));
    }

    private static async Task<Ok<AppView>> SetAutoApproval(string appId, AutoApprovalRequest request, HttpContext http, IClusterClient cluster)
    {
        await AppAccess.Require(cluster, appId, http.User.UserId(), AppRight.Approve);
        return TypedResults.Ok(await cluster.GetGrain<IAppGrain>(appId).SetAutoApproval(request.Enabled!.Value));
    }
}
