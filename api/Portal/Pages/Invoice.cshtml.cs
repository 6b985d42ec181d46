using Billing.Invoices;
using Microsoft.AspNetCore.Mvc;

namespace Billing.Api.Portal.Pages;

/// <summary>U4: one invoice and its PDF (the API renders it).</summary>
public sealed class InvoiceModel : WorkspacePageModel
{
    public Invoice? Invoice { get; private set; }

    public async Task OnGetAsync(string workspaceId, string number)
    {
        await LoadWorkspace(workspaceId);
        Invoice = await Api.Get<Invoice>($"{WorkspacePath}/invoices/{Uri.EscapeDataString(number)}");
    }

    public async Task<IActionResult> OnGetPdfAsync(string workspaceId, string number)
    {
        var response = await Api.Download($"/workspaces/{Uri.EscapeDataString(workspaceId)}/invoices/{Uri.EscapeDataString(number)}/pdf");
        HttpContext.Response.RegisterForDispose(response);
        return File(await response.Content.ReadAsStreamAsync(HttpContext.RequestAborted), "application/pdf", $"{number}.pdf");
    }
}
