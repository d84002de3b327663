#pragma once

// The files under resources/ compiled into the binary (CMake
// mxauth_embed_files): templates named relative to resources/templates
// ("pages/login.mustache"), static assets relative to resources/static
// ("mxauth.css"), e-mail templates relative to resources/templates
// ("emails/test.text.mustache").

#include <span>

#include "core/embedded_file.h"

namespace mxauth::templates {

std::span<const core::EmbeddedFile> embeddedTemplateFiles();
std::span<const core::EmbeddedFile> embeddedStaticFiles();
std::span<const core::EmbeddedFile> embeddedEmailTemplateFiles();

}  // namespace mxauth::templates
