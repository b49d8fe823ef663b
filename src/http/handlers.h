/*
 * handlers.h - every API handler, one file per resource (h_<resource>.c).
 * Each is an http_handler: it reads req (whose session, permission and scope
 * the dispatcher has already checked), fills res, and returns BF_OK or a
 * status with err set (the dispatcher turns it into the JSON error).
 */
#ifndef BF_HTTP_HANDLERS_H
#define BF_HTTP_HANDLERS_H

#include "http/http.h"

#include <jansson.h>

/* Shared helpers. The region of a request: text (a ?region= or body value,
 * normalised; it must lie in the user's scope, otherwise 404) or, when text is
 * NULL or empty, the user's own region (h_summary.c). */
bf_status http_scoped_region(http_request *req, const char *text, char code[13], bf_error *err);
/* The digits that name a region's subtree: 36, 3601, 360102, ... (h_classify.c). */
void http_region_prefix(const char *code, char out[13]);

/* h_health.c */
bf_status h_health(http_request *req, http_response *res, bf_error *err);

/* h_auth.c */
bf_status h_login(http_request *req, http_response *res, bf_error *err);
bf_status h_logout(http_request *req, http_response *res, bf_error *err);
bf_status h_me(http_request *req, http_response *res, bf_error *err);
bf_status h_password(http_request *req, http_response *res, bf_error *err);
/* The public view of an account (no hash). New reference. */
json_t *http_user_json(const accounts_user *user);

/* h_meta.c */
bf_status h_roles(http_request *req, http_response *res, bf_error *err);
bf_status h_templates(http_request *req, http_response *res, bf_error *err);
bf_status h_template_get(http_request *req, http_response *res, bf_error *err);

/* h_regions.c */
bf_status h_regions(http_request *req, http_response *res, bf_error *err);
bf_status h_region_get(http_request *req, http_response *res, bf_error *err);

/* h_projects.c, h_assets.c, h_households.c, h_years.c, h_benefits.c */
bf_status h_projects_list(http_request *req, http_response *res, bf_error *err);
bf_status h_project_get(http_request *req, http_response *res, bf_error *err);
bf_status h_project_create(http_request *req, http_response *res, bf_error *err);
bf_status h_project_update(http_request *req, http_response *res, bf_error *err);
bf_status h_assets_list(http_request *req, http_response *res, bf_error *err);
bf_status h_asset_get(http_request *req, http_response *res, bf_error *err);
bf_status h_asset_create(http_request *req, http_response *res, bf_error *err);
bf_status h_asset_update(http_request *req, http_response *res, bf_error *err);
bf_status h_project_years_list(http_request *req, http_response *res, bf_error *err);
bf_status h_project_year_get(http_request *req, http_response *res, bf_error *err);
bf_status h_project_year_create(http_request *req, http_response *res, bf_error *err);
bf_status h_project_year_update(http_request *req, http_response *res, bf_error *err);
bf_status h_households_list(http_request *req, http_response *res, bf_error *err);
bf_status h_household_get(http_request *req, http_response *res, bf_error *err);
bf_status h_household_create(http_request *req, http_response *res, bf_error *err);
bf_status h_household_update(http_request *req, http_response *res, bf_error *err);
bf_status h_household_reveal(http_request *req, http_response *res, bf_error *err);
bf_status h_member_add(http_request *req, http_response *res, bf_error *err);
bf_status h_member_remove(http_request *req, http_response *res, bf_error *err);
bf_status h_household_years_list(http_request *req, http_response *res, bf_error *err);
bf_status h_household_year_get(http_request *req, http_response *res, bf_error *err);
bf_status h_household_year_create(http_request *req, http_response *res, bf_error *err);
bf_status h_household_year_update(http_request *req, http_response *res, bf_error *err);
bf_status h_benefits_list(http_request *req, http_response *res, bf_error *err);
bf_status h_benefit_create(http_request *req, http_response *res, bf_error *err);
bf_status h_benefit_delete(http_request *req, http_response *res, bf_error *err);

/* h_summary.c */
bf_status h_summary(http_request *req, http_response *res, bf_error *err);

/* h_import.c, h_export.c */
bf_status h_import(http_request *req, http_response *res, bf_error *err);
bf_status h_export(http_request *req, http_response *res, bf_error *err);

/* h_audit.c */
bf_status h_audit_list(http_request *req, http_response *res, bf_error *err);
bf_status h_audit_verify(http_request *req, http_response *res, bf_error *err);
bf_status h_audit_export(http_request *req, http_response *res, bf_error *err);

/* h_classify.c */
bf_status h_classify_run(http_request *req, http_response *res, bf_error *err);
bf_status h_classify_list(http_request *req, http_response *res, bf_error *err);
bf_status h_classify_explain(http_request *req, http_response *res, bf_error *err);
bf_status h_classify_decide(http_request *req, http_response *res, bf_error *err);

/* h_warnings.c */
bf_status h_warnings_list(http_request *req, http_response *res, bf_error *err);
bf_status h_warning_acknowledge(http_request *req, http_response *res, bf_error *err);
bf_status h_warning_resolve(http_request *req, http_response *res, bf_error *err);

/* h_rules.c */
bf_status h_rules_get(http_request *req, http_response *res, bf_error *err);
bf_status h_rules_put(http_request *req, http_response *res, bf_error *err);
bf_status h_thresholds_list(http_request *req, http_response *res, bf_error *err);
bf_status h_threshold_set(http_request *req, http_response *res, bf_error *err);

/* h_users.c */
bf_status h_users_list(http_request *req, http_response *res, bf_error *err);
bf_status h_user_create(http_request *req, http_response *res, bf_error *err);
bf_status h_user_update(http_request *req, http_response *res, bf_error *err);
bf_status h_assignments_list(http_request *req, http_response *res, bf_error *err);
bf_status h_assignment_create(http_request *req, http_response *res, bf_error *err);
bf_status h_assignment_delete(http_request *req, http_response *res, bf_error *err);

#endif
