using System.ComponentModel.DataAnnotations;
using Billing.Api.Auth;
using Billing.Api.Operators;
using Billing.Apps;
using Billing.Workspaces;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Workspaces;

/// <summary>W4: what the requester asks for; the license itself is support's to set.</summary>
public sealed record EnterpriseUpgradeRequest(
    [property: Required, MinLength(1), MaxLength(4)] IReadOnlyList<Product>? Products,
    [property: StringLength(EnterpriseLimits.MaxNoteLength)] string? Note);

/// <summary>W4: support's approval: the licensed products and the contract limits (absent = no limit).</summary>
public sealed record EnterpriseApprovalRequest(
    [property: Required, MinLength(1), MaxLength(4)] IReadOnlyList<Product>? Products,
    [property: Range(1, EnterpriseLimits.MaxRateLimitPerMinute)] long? RateLimitPerMinute,
    [property: Range(1, EnterpriseLimits.MaxAllowedRequestsPerMonth)] long? AllowedRequestsPerMonth);

public static class EnterpriseApi
{
    public static IEndpointRouteBuilder MapEnterpriseApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/workspaces/{workspaceId}/enterprise-upgrade").WithTags("Enterprise").RequireAuthorization();
        group.MapGet("/", Get).WithName("GetEnterpriseUpgrade").Allows("Owner", "Admin", "Member");
        group.MapPost("/", RequestUpgrade).WithName("RequestEnterpriseUpgrade").Allows("Owner", "AppOwner");
        routes.MapGroup("/operator").WithTags("Operators").RequireAuthorization(OperatorApi.Policy)
            .MapPost("/workspaces/{workspaceId}/enterprise-upgrade/approve", Approve).WithName("ApproveEnterpriseUpgrade");
        return routes;
    }

    private static async Task<Ok<EnterpriseStatus>> Get(string workspaceId, HttpContext http, IClusterClient cluster)
    {
        await Access.RequireWorkspaceRole(cluster, workspaceId, http.User.UserId(), Access.Members);
        return TypedResults.Ok(await cluster.GetGrain<IWorkspaceGrain>(workspaceId).GetEnterpriseStatus());
    }

    /// <summary>W4: the Workspace Owner or an App Owner of the workspace (the grain checks the app ownership).</summary>
    private static async Task<Ok<EnterpriseStatus>> RequestUpgrade(string workspaceId, EnterpriseUpgradeRequest request, HttpContext http, IClusterClient cluster)
    {
        var caller = http.User.UserId();
        await Access.RequireWorkspaceRole(cluster, workspaceId, caller, Access.Members);
        return TypedResults.Ok(await cluster.GetGrain<IWorkspaceGrain>(workspaceId).RequestEnterprise(caller, request.Products!, request.Note));
    }

    /// <summary>W4, W5: support approves; every app moves to the Enterprise plan and the plan-switch emails go out.</summary>
    private static async Task<Ok<EnterpriseStatus>> Approve(string workspaceId, EnterpriseApprovalRequest request, HttpContext http, IClusterClient cluster, TimeProvider time)
    {
        WorkspaceIds.ThrowIfMalformed(workspaceId);
        var license = new EnterpriseLicense(request.Products!, request.RateLimitPerMinute, request.AllowedRequestsPerMonth, time.GetUtcNow(), http.User.UserId());
        return TypedResults.Ok(await cluster.GetGrain<IEnterpriseUpgradeGrain>(0).Approve(workspaceId, license));
    }
}
