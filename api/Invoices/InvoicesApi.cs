using Billing.Api.Auth;
using Billing.Api.Payments;
using Billing.Errors;
using Billing.Invoices;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Billing.Api.Invoices;

/// <summary>U4: invoices in chronological order and as PDF. Billing managers see the workspace's; an app owner their app's.</summary>
public static class InvoicesApi
{
    public static IEndpointRouteBuilder MapInvoicesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/").WithTags("Invoices").RequireAuthorization();
        group.MapGet("/workspaces/{workspaceId}/invoices", ListWorkspace).WithName("ListInvoices").Allows("Owner", "Admin");
        group.MapGet("/apps/{appId}/invoices", ListApp).WithName("ListAppInvoices").Allows("Owner", "Admin", "AppOwner");
        group.MapGet("/workspaces/{workspaceId}/invoices/{number}", Get).WithName("GetInvoice").Allows("Owner", "Admin", "AppOwner");
        group.MapGet("/workspaces/{workspaceId}/invoices/{number}/pdf", GetPdf).WithName("GetInvoicePdf").Allows("Owner", "Admin", "AppOwner");
        return routes;
    }

    private static async Task<Ok<IReadOnlyList<Invoice>>> ListWorkspace(string workspaceId, HttpContext http, IClusterClient cluster)
    {
        await Access.RequireWorkspaceRole(cluster, workspaceId, http.User.UserId(), Access.BillingManagers);
        return TypedResults.Ok(await cluster.GetGrain<IInvoiceQueryGrain>(0).List(workspaceId, null));
    }

    private static async Task<Ok<IReadOnlyList<Invoice>>> ListApp(string appId, HttpContext http, IClusterClient cluster)
    {
        var app = await Access.RequireApp(cluster, appId, http.User.UserId(), appOwnerAllowed: true, Access.BillingManagers);
        return TypedResults.Ok(await cluster.GetGrain<IInvoiceQueryGrain>(0).List(app.WorkspaceId, appId));
    }

    private static async Task<Ok<Invoice>> Get(string workspaceId, string number, HttpContext http, IClusterClient cluster) =>
        TypedResults.Ok(await RequireInvoice(workspaceId, number, http, cluster));

    private static async Task<FileContentHttpResult> GetPdf(string workspaceId, string number, HttpContext http, IClusterClient cluster)
    {
        var invoice = await RequireInvoice(workspaceId, number, http, cluster);
        var pdf = await cluster.GetGrain<IInvoiceQueryGrain>(0).RenderPdf(workspaceId, invoice.Number)
            ?? throw BillingException.NotFound("invoice.not-found", $"Invoice '{number}' was not found.");
        return TypedResults.File(pdf, "application/pdf", $"{invoice.Number}.pdf");
    }

    /// <summary>Members only; a billing manager sees any invoice of the workspace, an app owner those of their apps.</summary>
    private static async Task<Invoice> RequireInvoice(string workspaceId, string number, HttpContext http, IClusterClient cluster)
    {
        var role = await Access.RequireWorkspaceRole(cluster, workspaceId, http.User.UserId(), Access.Members);
        var invoice = await cluster.GetGrain<IInvoiceQueryGrain>(0).Get(workspaceId, number)
            ?? throw BillingException.NotFound("invoice.not-found", $"Invoice '{number}' was not found.");
        if (!Access.BillingManagers.Contains(role))
        {
            if (invoice.Draft.AppId is null)
                throw BillingException.Forbidden("invoice.role.insufficient", "Workspace invoices are for billing managers.");
            await PaymentsApi.RequireBillingAccess(cluster, invoice.Draft.AppId, http);
        }

        return invoice;
    }
}
