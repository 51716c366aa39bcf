// A frontend's use of the contract: typed calls through openapi-fetch, typed problems.
// Type-checked in CI (`tsc --noEmit -p contract`, tests/integration/api/test_contract.py).
import createClient from "openapi-fetch";
import type { components, paths } from "./api";

type Ticket = components["schemas"]["TicketOut"];
type Problem = components["schemas"]["ProblemDetails"];
export type ErrorCode = Problem["code"];

const api = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });

/** The signed-in dancer's ticket for a period, or the problem's code. */
export async function myTicket(periodCode: string, token: string): Promise<Ticket | ErrorCode> {
  const { data, error } = await api.GET("/api/tickets/{periodCode}", {
    params: { path: { periodCode } },
    headers: { Authorization: `Bearer ${token}` },
  });
  if (error) {
    return error.code; // a union of literals, not string
  }
  return data;
}

/** What a dancer reads: the codes this page expects, a general message for the others. */
export function explain(code: ErrorCode): string {
  switch (code) {
    case "ticket_not_found":
      return "No ticket for this period yet: is the order paid?";
    case "profile_required":
      return "Fill in your profile first.";
    case "rate_limited":
      return "Too many tries; wait a minute.";
    default:
      return "Something went wrong; try again later.";
  }
}

// @ts-expect-error: a code the service never answers is refused at compile time
export const typo: ErrorCode = "ticket_not_fund";
