using System.ComponentModel.DataAnnotations;
using Billing.Api.Auth;
using Billing.Apps;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Apps;

/// <summary>The body of <c>POST /workspaces/{id}/apps</c>: only what a caller may choose (no plan, owner or balance).</summary>
public sealed record CreateAppRequest(
    [property: Required, StringLength(AppLimits.MaxNameLength, MinimumLength = 1)] string Name,
    [property: Required] Product? Product,
    SeatModel? SeatModel);

public static class AppsApi
{
    public static IEndpointRouteBuilder MapAppsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/").WithTags("Apps").RequireAuthorization();
        group.MapPost("/workspaces/{workspaceId}/apps", Create).WithName("CreateApp");
        group.MapGet("/apps/{appId}", Get).WithName("GetApp");
        return routes;
    }

    /// <summary>Any workspace member builds apps; the creator becomes the App Owner (W2).</summary>
    private static async Task<Created<AppView>> Create(string workspaceId, CreateAppRequest request, HttpContext http, IClusterClient cluster)
    {
        var userId = http.User.UserId();
        await Access.RequireWorkspaceRole(cluster, workspaceId, userId, Access.Members);
        var id = AppIds.New();
        var view = await cluster.GetGrain<IAppGrain>(id).Create(new CreateApp(workspaceId, request.Name.Trim(), request.Product!.Value, userId, request.SeatModel));
        return TypedResults.Created($"/apps/{id}", view);
    }

    private static async Task<Ok<AppView>> Get(string appId, HttpContext http, IClusterClient cluster) =>
        TypedResults.Ok(await Access.RequireApp(cluster, appId, http.User.UserId(), appOwnerAllowed: true, Access.Members));
}
