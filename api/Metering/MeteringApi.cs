using Billing.Api.Auth;
using Billing.Errors;
using Billing.Ledgers;
using Billing.Wallets;
using Billing.Workspaces;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Metering;

/// <summary>The body of <c>PUT /workspaces/{id}/consumption-order</c>.</summary>
public sealed record ConsumptionOrderRequest(ConsumptionOrder? Order);

/// <summary>Balances, ledgers and free credits for owners (C1-C7).</summary>
public static class MeteringApi
{
    public static IEndpointRouteBuilder MapMeteringApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/").WithTags("Balances").RequireAuthorization();
        group.MapGet("/apps/{appId}/balance", GetBalance).WithName("GetAppBalance");
        group.MapGet("/apps/{appId}/ledger", GetLedger).WithName("GetAppLedger");
        group.MapGet("/workspaces/{workspaceId}/free-credits", GetFreeCredits).WithName("GetFreeCredits");
        group.MapGet("/workspaces/{workspaceId}/free-credits/ledger", GetFreeCreditLedger).WithName("GetFreeCreditLedger");
        group.MapPut("/workspaces/{workspaceId}/consumption-order", SetConsumptionOrder).WithName("SetConsumptionOrder");
        return routes;
    }

    private static async Task<Ok<WalletBalance>> GetBalance(string appId, HttpContext http, IClusterClient cluster)
    {
        await Access.RequireApp(cluster, appId, http.User.UserId(), appOwnerAllowed: true, Access.Members);
        return TypedResults.Ok(await cluster.GetGrain<IAppWalletGrain>(appId).GetBalance());
    }

    /// <summary>A page of one balance's ledger, oldest first; <c>nextAfterSeq</c> continues it.</summary>
    private static async Task<Ok<LedgerPage>> GetLedger(string appId, HttpContext http, IClusterClient cluster, string? account, string? afterSeq, string? limit)
    {
        await Access.RequireApp(cluster, appId, http.User.UserId(), appOwnerAllowed: true, Access.Members);
        var (after, size) = Paging(afterSeq, limit);
        return TypedResults.Ok(await cluster.GetGrain<IAppWalletGrain>(appId).GetLedger(account ?? WalletAccounts.Paid, after, size));
    }

    private static async Task<Ok<FreeCreditStats>> GetFreeCredits(string workspaceId, HttpContext http, IClusterClient cluster)
    {
        await Access.RequireWorkspaceRole(cluster, workspaceId, http.User.UserId(), Access.Members);
        return TypedResults.Ok(await cluster.GetGrain<IFreeCreditPoolGrain>(workspaceId).GetStats());
    }

    private static async Task<Ok<LedgerPage>> GetFreeCreditLedger(string workspaceId, HttpContext http, IClusterClient cluster, string? afterSeq, string? limit)
    {
        await Access.RequireWorkspaceRole(cluster, workspaceId, http.User.UserId(), Access.Members);
        var (after, size) = Paging(afterSeq, limit);
        return TypedResults.Ok(await cluster.GetGrain<IFreeCreditPoolGrain>(workspaceId).GetLedger(after, size));
    }

    /// <summary>C4: Owners and Admins choose which balance pays first.</summary>
    private static async Task<NoContent> SetConsumptionOrder(string workspaceId, ConsumptionOrderRequest request, HttpContext http, IClusterClient cluster)
    {
        await Access.RequireWorkspaceRole(cluster, workspaceId, http.User.UserId(), Access.BillingManagers);
        var order = request.Order ?? throw BillingException.Invalid("order", "workspace.consumption-order.invalid", "The order is PaidFirst or FreeFirst.");
        await cluster.GetGrain<IWorkspaceGrain>(workspaceId).SetConsumptionOrder(order);
        return TypedResults.NoContent();
    }

    private static (long AfterSeq, int Limit) Paging(string? afterSeq, string? limit)
    {
        long after = 0;
        if (afterSeq is not null && (!long.TryParse(afterSeq, System.Globalization.CultureInfo.InvariantCulture, out after) || after < 0))
            throw BillingException.Invalid("afterSeq", "paging.after-seq.invalid", "afterSeq is a sequence number, 0 or more.");
        var size = 100;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.CultureInfo.InvariantCulture, out size) || size is < 1 or > 1000))
            throw BillingException.Invalid("limit", "paging.limit.invalid", "limit is 1 to 1000.");
        return (after, size);
    }
}
